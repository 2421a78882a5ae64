"""Branch and bound over levels combinations (sim/engine/levels.py) against every combination summed,
the tabulated zone and the slow reference (scipy's HiGHS)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zopa import sim
from zopa.sim.engine import bargaining, levels, solver
from tests.test_scale import load, synthetic
from tests.test_zopa_property import _reference, _worlds


@st.composite
def many_levels(draw):
    """2-4 actors, 0-2 range issues and 3-5 levels issues of 2-5 levels (8 to 3,125 combinations), red
    lines on both kinds, 1, 3 or 20 worlds."""
    n, kc, kl = draw(st.integers(2, 4)), draw(st.integers(0, 2)), draw(st.integers(3, 5))
    W = draw(st.sampled_from([1, 3, 20]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = kc + kl
    w = rng.random((W, n, m)) * (rng.random((W, n, m)) < 0.85) + 1e-3
    w /= w.sum(axis=2, keepdims=True)
    grid = draw(st.booleans())          # levels worth 0, 1/2 or 1: ties between combinations
    sizes = [int(x) for x in rng.integers(2, 6, kl)]
    vals = [np.round(rng.random((n, s)) * 2) / 2 if grid else rng.random((n, s)) for s in sizes]
    ideal = rng.random((W, n, kc))
    return dict(w=w, kc=kc, ideal=ideal, span=np.maximum(ideal, 1 - ideal),
                red_lo=np.where(rng.random((W, n, kc)) < 0.3, rng.random((W, n, kc)) * 0.6, 0.0),
                red_hi=np.where(rng.random((W, n, kc)) < 0.3, 0.4 + rng.random((W, n, kc)) * 0.6, 1.0),
                level_vals=vals, sizes=sizes, allowed=[rng.random((W, n, s)) < 0.85 for s in sizes],
                r=rng.random((W, n)) * draw(st.sampled_from([0.3, 0.6, 1.0])))


def _zone(inst, search: bool):
    with mock.patch.object(solver, "SEARCH_MIN", 0 if search else 10 ** 9):
        zone = solver.Zone(_worlds(inst), method="enumerate")
    assert zone.search == search
    return zone


@settings(max_examples=40, deadline=None)
@given(many_levels())
def test_pruned_search_is_the_unpruned_search_to_the_bit(inst):
    """Pruning drops only combinations that cannot be best: the same width, first best combination and
    certificate as summing every allowed combination, with or without last round's best as a start."""
    zone = _zone(inst, True)
    live = np.flatnonzero(zone.evaluate(inst["r"], np.ones(len(inst["r"]), dtype=bool)).t > -np.inf)
    if not len(live):
        return
    A, P, ok = zone._levels(live, inst["r"])
    full = levels.best(A, P, ok, prune=False)
    for start in (None, np.zeros(len(live), dtype=np.int64), full[1]):
        for got, want in zip(levels.best(A, P, ok, start=start), full):
            assert np.array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(many_levels(), st.floats(-0.3, 0.3))
def test_search_equals_the_tables_and_highs(inst, drift):
    """The searched zone gives the tabulated zone's width (1e-12), blocking actors and, where the best
    combination is unique, the same combination; its certificate is a dual bound equal to the width;
    and the width is HiGHS's, one LP per combination (1e-9). Twice: cold, then from last round's best."""
    a, b = _zone(inst, True), _zone(inst, False)
    active = np.ones(len(inst["r"]), dtype=bool)
    for r in (inst["r"], inst["r"] + drift):
        va, vb = a.evaluate(r, active), b.evaluate(r, active)
        fin = np.isfinite(vb.t)
        assert np.array_equal(np.isfinite(va.t), fin)
        assert np.abs(va.t[fin] - vb.t[fin]).max(initial=0.0) <= 1e-12
        assert np.array_equal(va.blocking, vb.blocking)
        live = np.flatnonzero(fin)
        T = bargaining.combo_widths(b.mu[live], b.B[live], b.feasible[live], r[live])
        second = np.sort(T, axis=1)[:, -2] if T.shape[1] > 1 else np.full(len(live), -np.inf)
        unique = T.max(axis=1) - second > 1e-12
        assert np.array_equal(va.combo[live][unique], vb.combo[live][unique])
        rows = np.arange(len(live))
        cert = b.mu[live][rows, va.cert[live]]
        slack = b.B[live][rows, va.combo[live], va.cert[live]] - (cert * r[live]).sum(axis=1)
        assert np.abs(slack - va.t[live]).max(initial=0.0) <= 1e-12
        for i in range(min(len(r), 3)):
            ref = _reference(inst, i, r)
            assert (va.t[i] == ref) if np.isinf(ref) else abs(va.t[i] - ref) <= 1e-9, (va.t[i], ref)


@settings(max_examples=40, deadline=None)
@given(many_levels(), st.booleans())
def test_deal_tables_hold_every_combination_a_deal_can_use(inst, widest):
    """A deal's tables hold, for each open world, every combination at least as wide as the floor (the
    widest less 1e-7, or open to 1e-9 less 1e-7) and none narrower, to rounding (1e-12), in order, and
    their facets are the tabulated zone's."""
    a, b = _zone(inst, True), _zone(inst, False)
    r = inst["r"] * 0.5
    v = a.evaluate(r, np.ones(len(r), dtype=bool))
    b.evaluate(r, np.ones(len(r), dtype=bool))
    idx = np.flatnonzero(v.open)
    if not len(idx):
        return
    for tab in a.deal_parts(idx, r, widest=widest):
        T = bargaining.combo_widths(b.mu[tab.idx], b.B[tab.idx], b.feasible[tab.idx], r[tab.idx])
        top = T.max(axis=1)
        floor = (top if widest else np.minimum(top, -1e-9)) - 1e-7
        for j in range(len(tab.idx)):
            got = tab.sel[j][tab.feasible[j]]
            assert np.all(np.diff(got) > 0)
            assert set(np.flatnonzero(T[j] >= floor[j] + 1e-12)) <= set(got)
            assert (T[j, got] >= floor[j] - 1e-12).all()
            B = b.B[tab.idx[j]][got]
            assert np.abs(tab.B[j][tab.feasible[j]] - B).max() <= 1e-12
        local = np.argmax(tab.feasible, axis=1)
        assert np.array_equal(tab.combos(local), tab.sel[np.arange(len(tab.idx)), local])
        assert (tab.combos(np.full(len(tab.idx), -1)) == -1).all()


@pytest.mark.parametrize("protocol", ["egalitarian", "nash", "kalai-smorodinsky", "alternating-offers"])
def test_runs_with_searched_combinations_are_runs_with_tables(tmp_path, monkeypatch, protocol):
    """A run whose 243 levels combinations are searched (one actor's red line forbids a level) strikes the
    deals of the same run with every combination tabulated: the same worlds agree on the same levels,
    terms and utilities (1e-9), in the same rounds, and the widths of every round agree (1e-12)."""
    spec = synthetic(3, 1, 5, protocol=protocol)
    for a in spec["actors"].values():
        a["reservation"] = {"uniform": [0.6, 0.8]}         # zones open over several rounds
    spec["actors"]["a1"]["red_lines"] = {"v0": {"allowed": ["l0", "l1"]}}
    s = load(tmp_path, spec)
    runs = []
    for limit in (10 ** 9, 0):
        monkeypatch.setattr(solver, "SEARCH_MIN", limit)
        runs.append(sim.simulate(s, runs=40, seed=3, history=True, progress=False))
    tab, searched = runs
    assert searched.outcomes["agreed"].any()
    for col in tab.outcomes.columns:
        x, y = tab.outcomes[col], searched.outcomes[col]
        if x.dtype.kind == "f":
            assert np.allclose(x, y, atol=1e-9, rtol=0, equal_nan=True), col
        else:
            assert x.equals(y), col
    wa, wb = tab.history["zopa_width"].to_numpy(), searched.history["zopa_width"].to_numpy()
    assert np.array_equal(np.isfinite(wa), np.isfinite(wb))
    assert np.abs(wa - wb)[np.isfinite(wa)].max() <= 1e-12
