"""The deal pipeline's fast paths on few worlds against the obvious versions they stand for, bit for bit:
settling worlds of one candidate combination each, reusing the protocol's candidate points, the Nash
deal of a single open combination, distinct segments found in a dict and bisected on Python floats, and
the one-combination candidates of :func:`holding`."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zopa.sim.engine import bargaining, nashpoint, protocols, solver as zopa, terms
from tests.test_zopa_property import engine, instances


def _bits(a):
    """Floats as their bits (nan payloads included), anything else as it is."""
    a = np.asarray(a)
    return a.view(np.int64) if a.dtype == np.float64 else a


def assert_same(fast, slow):
    assert len(fast) == len(slow)
    for f, s in zip(fast, slow):
        assert f.shape == s.shape and f.dtype == s.dtype
        np.testing.assert_array_equal(_bits(f), _bits(s))


def _deals(inst):
    """Nash deals of the open worlds as the model strikes them (enumerated tables, candidate points):
    (engine, worlds, deal utilities, combo, problem), or None where no world is open."""
    e = engine(inst)
    idx = np.flatnonzero(e["t"] > 1e-9)
    if not len(idx) or inst["kc"] == 0:
        return None
    p = protocols.Problem(e["mu"][idx], e["B"][idx], e["feasible"][idx], inst["r"][idx],
                          np.full(inst["r"][idx].shape, 0.9), e["vc"][idx], e["L"][idx])
    y, combo = protocols.PROTOCOLS["nash"](len(idx), inst["r"].shape[1]).choose(p)
    return e, idx, y, combo, p


def _nash_by_logs(mu, B, feasible, r, points, level_utils):
    """:func:`bargaining.nash` as it compares every open combination: by the log of the Nash product."""
    T = bargaining.combo_widths(mu, B, feasible, r)
    W, n = r.shape
    best_g, best_val, combo = np.zeros((W, n)), np.full(W, -np.inf), T.argmax(axis=1)
    open_ = T >= -bargaining.EPS
    for l in np.flatnonzero(open_.any(axis=0)):
        ok = open_[:, l]
        g, _ = bargaining._nash_combo(mu, B[:, l], r, T[:, l], ok, points, level_utils[:, l])
        val = np.where(ok, np.log(np.maximum(g, 1e-300)).sum(axis=1), -np.inf)
        val = np.where(ok & (T[:, l] <= bargaining.EPS), -1e300, val)
        better = val > best_val
        best_val = np.where(better, val, best_val)
        best_g = np.where(better[:, None], g, best_g)
        combo = np.where(better, l, combo)
    return r + best_g, combo


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(0, 2**32 - 1))
def test_nash_of_one_open_combination_is_the_comparison_of_logs(inst, seed):
    """Where one levels combination is open (every other closed by red lines here), Nash's gains are taken
    where none is nan, which is what comparing the logs of the Nash products decides; with several open,
    the comparison itself: the deals and combinations are the same bits either way."""
    e = engine(inst)
    if inst["kc"] == 0:
        return
    feasible = e["feasible"].copy()
    if np.random.default_rng(seed).random() < 0.5:      # keep only each world's widest combination
        feasible &= np.arange(feasible.shape[1])[None, :] == e["combo"][:, None]
    args = (e["mu"], e["B"], feasible, inst["r"])
    fast = bargaining.nash(*args, points=e["vc"], level_utils=e["L"])
    assert_same(fast, _nash_by_logs(*args, e["vc"], e["L"]))


@settings(max_examples=40, deadline=None)
@given(instances())
def test_settling_each_world_on_its_combination_is_the_general_search(inst):
    """One candidate combination per world: settled on the worlds' own rows, and with the protocol's
    candidate points passed on, the terms, utilities and combinations are those of the general search
    over gathered (world, combination) rows, which computes the points itself."""
    deal = _deals(inst)
    if deal is None:
        return
    e, idx, y, combo, p = deal
    kc = inst["kc"]
    args = (inst["w"][idx, :, :kc], inst["ideal"][idx], inst["span"][idx], e["a"][idx], e["b"][idx])
    points = zopa.point_utilities(args[0], args[1], args[2], zopa.clipped_points(args[1], args[3], args[4]))
    f = inst["r"][idx]
    each = terms._on_each(y, f, p.level_utils, combo, *args, points)
    rows = terms._on_rows(y, f, p.level_utils, np.arange(len(idx)), combo, *args, None)
    assert_same(each, rows)
    one = np.arange(p.B.shape[1])[None, :] == combo[:, None]         # the deal's own combination only
    fast = terms.settle(y, one, p.level_utils, *args, floor=f, points=points)
    slow = terms.settle(y, one, p.level_utils, *args, floor=f)
    assert_same(fast[:3], slow[:3])
    assert (fast[3] == slow[3]).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(1, 300), st.integers(1, 6))
def test_distinct_segments_bisect_as_numpy_does(seed, n, M, kinds):
    """Segments with repeats: each distinct one bisected once (found in a dict; on Python floats, written
    out for two and three actors) gives every segment numpy's bisection of it, bit for bit."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, kinds, M)
    a = (rng.random((kinds, n)) * rng.choice([1e-6, 1.0, 1e3], (kinds, n)))[pick]
    d = (rng.standard_normal((kinds, n)) * rng.choice([1e-9, 1.0], (kinds, n)))[pick]
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = -a / d
        lo = np.maximum(np.where(d > 0, cut, -np.inf).max(axis=1), 0.0)
        hi = np.minimum(np.where(d < 0, cut, np.inf).min(axis=1), 1.0)
        usable = lo < hi
        if not usable.any():
            return
        a, d, lo, hi = a[usable], d[usable], lo[usable], hi[usable]
        np.testing.assert_array_equal(_bits(nashpoint._bisect_distinct(a, d, lo, hi)),
                                      _bits(nashpoint._bisect(a, d, lo, hi)))


def test_distinct_rows_are_numbered_in_order_of_appearance():
    first, back = nashpoint._distinct([b"x", b"y", b"x", b"z", b"y"])
    assert first.tolist() == [0, 1, 3] and back.tolist() == [0, 1, 0, 2, 1]


@settings(max_examples=40, deadline=None)
@given(instances())
def test_one_combinations_candidates_are_the_chosen_one(inst):
    """A table of one levels combination: every world's candidate is that combination, as the slack test
    with the chosen combination always among them gives."""
    deal = _deals(inst)
    if deal is None or deal[4].B.shape[1] != 1:
        return
    _, _, y, combo, p = deal
    slack = p.B - (p.mu @ y[:, :, None])[:, None, :, 0]
    slow = p.feasible & (slack >= -1e-9 * (1.0 + np.abs(p.B))).all(axis=2)
    slow[np.arange(len(combo)), combo] = True
    np.testing.assert_array_equal(protocols.holding(p.mu, p.B, p.feasible, y, combo), slow)
