"""The vectorised engine against the slow reference (scipy's HiGHS), on random instances."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from zopa.sim.engine import protocols, solver as zopa
from zopa.sim.engine.terms import terms_for, utilities_at
from tests.reference import zopa_width_reference


@st.composite
def instances(draw):
    """2-6 actors, 1-5 issues (range and levels mixed), random red lines, 1-3 or 20 worlds."""
    n = draw(st.integers(2, 6))
    m = draw(st.integers(1, 5))
    kc = draw(st.integers(0, m))
    kl = m - kc
    W = draw(st.sampled_from([1, 2, 3, 20]))   # 20 distinct worlds take the batched vertex path
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    grid = draw(st.booleans())          # ideals on a coarse grid make ties and degenerate cases
    w = rng.random((W, n, m)) * (rng.random((W, n, m)) < 0.85) + 1e-3
    w /= w.sum(axis=2, keepdims=True)
    ideal = np.round(rng.random((W, n, kc)) * 4) / 4 if grid else rng.random((W, n, kc))
    span = np.maximum(ideal, 1 - ideal)
    red_lo = np.where(rng.random((W, n, kc)) < 0.3, rng.random((W, n, kc)) * 0.6, 0.0)
    red_hi = np.where(rng.random((W, n, kc)) < 0.3, 0.4 + rng.random((W, n, kc)) * 0.6, 1.0)
    sizes = [int(x) for x in rng.integers(2, 5, kl)]
    level_vals = [rng.random((n, s)) for s in sizes]
    allowed = [rng.random((W, n, s)) < 0.8 for s in sizes]
    r = rng.random((W, n)) * draw(st.sampled_from([0.5, 0.8, 1.0]))
    return dict(w=w, kc=kc, ideal=ideal, span=span, red_lo=red_lo, red_hi=red_hi, level_vals=level_vals,
                allowed=allowed, sizes=sizes, r=r)


def engine(inst):
    kc = inst["kc"]
    w_r, w_l = inst["w"][:, :, :kc], inst["w"][:, :, kc:]
    mu = zopa.dual_candidates(w_r, inst["ideal"], inst["span"])
    a, b = zopa.common_box(inst["red_lo"], inst["red_hi"])
    vc = zopa.point_utilities(w_r, inst["ideal"], inst["span"], zopa.clipped_points(inst["ideal"], a, b))
    combos = zopa.level_combos([tuple(range(s)) for s in inst["sizes"]])
    L = zopa.combo_utilities(w_l, inst["level_vals"], combos)
    B = zopa.support(mu, vc)[:, None, :] + L @ np.swapaxes(mu, 1, 2)
    feasible = zopa.combo_feasible(inst["allowed"], combos, a, b)
    t, combo, cert = zopa.width(mu, B, feasible, inst["r"])
    return dict(mu=mu, B=B, feasible=feasible, t=t, combo=combo, combos=combos, L=L, a=a, b=b, w_r=w_r, vc=vc)


@settings(max_examples=150, deadline=None)
@given(instances())
def test_zopa_width_equals_highs(inst):
    """The exact width agrees with one LP per levels combination (HiGHS) to 1e-9, for every world."""
    e = engine(inst)
    kc = inst["kc"]
    for i in range(len(e["t"])):
        ref = zopa_width_reference(inst["w"][i, :, :kc], inst["ideal"][i], inst["span"][i], inst["red_lo"][i],
                                   inst["red_hi"][i], inst["w"][i, :, kc:], inst["level_vals"],
                                   [al[i] for al in inst["allowed"]], inst["r"][i])
        if np.isinf(ref):
            assert e["t"][i] == ref
        else:
            assert abs(e["t"][i] - ref) <= 1e-9, (e["t"][i], ref)


def _deal_check(inst, e, y, combo):
    """Terms for the chosen utilities lie in every red line and give everyone at least its reservation."""
    L = e["L"][np.arange(len(combo)), combo]
    x = terms_for(y, L, e["w_r"], inst["ideal"], inst["span"], e["a"], e["b"])
    u = utilities_at(x, e["w_r"], inst["ideal"], inst["span"], L)
    assert (x >= inst["red_lo"].max(axis=1) - 1e-12).all() and (x <= inst["red_hi"].min(axis=1) + 1e-12).all()
    for j, al in enumerate(inst["allowed"]):
        lv = e["combos"][combo, j]
        assert al[np.arange(len(combo)), :, lv].all()
    assert (u >= inst["r"] - 1e-9).all()
    assert (u >= y - 1e-9).all()
    return x, u


@settings(max_examples=80, deadline=None)
@given(instances(), st.sampled_from(["nash", "kalai-smorodinsky", "egalitarian", "alternating-offers"]))
def test_every_deal_respects_red_lines_and_reservations(inst, protocol):
    e = engine(inst)
    ok = e["t"] >= 0
    if not ok.any():
        return
    sub = {k: v[ok] for k, v in e.items() if k not in ("combos",)}
    sub["combos"] = e["combos"]
    isub = {**inst, **{k: inst[k][ok] for k in ("ideal", "span", "red_lo", "red_hi", "r")},
            "allowed": [al[ok] for al in inst["allowed"]]}
    disc = np.full(inst["r"][ok].shape, 0.9)
    # no candidate points: nash takes its barrier path here, as it always did in this test
    problem = protocols.Problem(sub["mu"], sub["B"], sub["feasible"], isub["r"], disc, None, sub["L"])
    agreed, y, combo = protocols.PROTOCOLS[protocol](len(disc), disc.shape[1]).strike(np.arange(len(disc)), problem)
    assert agreed.all()
    _deal_check(isub, sub, y, combo)


def _nash_reference(inst, e, i, l):
    """Best Nash product over one levels combination from several SLSQP starts on the terms."""
    kc = inst["kc"]
    w, ideal, span, r = e["w_r"][i], inst["ideal"][i], inst["span"][i], inst["r"][i]
    L = e["L"][i, l]
    a, b = e["a"][i], e["b"][i]

    def logprod(x):
        u = (w * (1 - np.abs(x - ideal) / span)).sum(axis=1) + L - r
        return -np.log(np.maximum(u, 1e-300)).sum()

    best = -np.inf
    rng = np.random.default_rng(0)
    for _ in range(8):
        x0 = a + rng.random(kc) * (b - a)
        res = minimize(logprod, x0, bounds=list(zip(a, b)), method="Powell", options={"xtol": 1e-10, "ftol": 1e-14})
        best = max(best, -res.fun)
    return best


@settings(max_examples=40, deadline=None)
@given(instances(), st.booleans())
def test_nash_is_at_least_as_good_as_any_local_search(inst, closed_form):
    """Nash (1950): the engine's product of gains is the maximum, never beaten by a direct search, both
    on the closed-form path (vertices, edges, facets) and on the barrier path."""
    e = engine(inst)
    ok = np.where(e["t"] > 1e-6)[0]
    if not len(ok) or inst["kc"] == 0:
        return
    faces = dict(points=e["vc"][ok], level_utils=e["L"][ok]) if closed_form else {}
    y, combo = protocols.nash(e["mu"][ok], e["B"][ok], e["feasible"][ok], inst["r"][ok],
                              **faces)
    sub = {k: v[ok] for k, v in e.items() if k != "combos"}
    isub = {**inst, **{k: inst[k][ok] for k in ("ideal", "span", "red_lo", "red_hi", "r")},
            "allowed": [al[ok] for al in inst["allowed"]]}
    _deal_check(isub, {**sub, "combos": e["combos"]}, y, combo)
    for j, i in enumerate(ok):
        ours = np.log(y[j] - inst["r"][i]).sum()
        for l in np.where(e["feasible"][i])[0]:
            assert ours >= _nash_reference(inst, e, i, l) - 1e-7


@st.composite
def large_instances(draw, max_actors=12, max_range=8):
    """Up to 12 actors and 8 range issues (plus up to 2 levels issues), 1-3 worlds: the LP method's size."""
    n = draw(st.integers(2, max_actors))
    kc = draw(st.integers(1, max_range))
    kl = draw(st.integers(0, 2))
    W = draw(st.sampled_from([1, 3]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    grid = draw(st.booleans())
    w = rng.random((W, n, kc + kl)) * (rng.random((W, n, kc + kl)) < 0.85) + 1e-3
    w /= w.sum(axis=2, keepdims=True)
    ideal = np.round(rng.random((W, n, kc)) * 4) / 4 if grid else rng.random((W, n, kc))
    sizes = [int(x) for x in rng.integers(2, 5, kl)]
    return dict(w=w, kc=kc, ideal=ideal, span=np.maximum(ideal, 1 - ideal),
                red_lo=np.where(rng.random((W, n, kc)) < 0.2, rng.random((W, n, kc)) * 0.5, 0.0),
                red_hi=np.where(rng.random((W, n, kc)) < 0.2, 0.5 + rng.random((W, n, kc)) * 0.5, 1.0),
                level_vals=[rng.random((n, s)) for s in sizes], sizes=sizes,
                allowed=[rng.random((W, n, s)) < 0.9 for s in sizes],
                r=rng.random((W, n)) * draw(st.sampled_from([0.3, 0.6, 1.0])))


def _worlds(inst):
    """The arrays a Zone reads, from a generated instance."""
    from types import SimpleNamespace
    kc = inst["kc"]
    return SimpleNamespace(w_range=inst["w"][:, :, :kc], w_level=inst["w"][:, :, kc:], ideal=inst["ideal"],
                           span=inst["span"], red_lo=inst["red_lo"], red_hi=inst["red_hi"],
                           level_vals=inst["level_vals"], levels=[tuple(range(s)) for s in inst["sizes"]],
                           allowed=inst["allowed"], discount=np.full(inst["r"].shape, 0.9))


def _reference(inst, i, r):
    kc = inst["kc"]
    return zopa_width_reference(inst["w"][i, :, :kc], inst["ideal"][i], inst["span"][i], inst["red_lo"][i],
                                inst["red_hi"][i], inst["w"][i, :, kc:], inst["level_vals"],
                                [al[i] for al in inst["allowed"]], r[i])


@settings(max_examples=40, deadline=None)
@given(large_instances(), st.floats(-0.2, 0.2))
def test_lp_method_width_equals_highs(inst, drift):
    """The LP method's width agrees with HiGHS on the textbook LP to 1e-9 for up to 12 actors and 8 issues,
    cold and warm-started after the reservations drift; its certificate is a dual bound equal to the width
    and the blocking actors are the certificate's support."""
    zone = zopa.Zone(_worlds(inst), method="lp")
    active = np.ones(len(inst["r"]), dtype=bool)
    for r in (inst["r"], inst["r"] + drift * np.linspace(0, 1, inst["r"].shape[1])):
        v = zone.evaluate(r, active)
        live = np.where(np.isfinite(v.t))[0]
        mu, B = zone.mu[live], zone.B[live]
        for j, i in enumerate(range(len(r))):
            ref = _reference(inst, i, r)
            assert (v.t[i] == ref) if np.isinf(ref) else abs(v.t[i] - ref) <= 1e-9, (v.t[i], ref)
        for j, i in enumerate(live):
            cert = mu[j, v.cert[i]]
            assert abs(B[j, v.combo[i], v.cert[i]] - cert @ r[i] - v.t[i]) <= 1e-12
            bits = int((cert > 1e-9) @ (1 << np.arange(len(cert))))
            assert v.blocking[i] == (bits if v.t[i] < 0 else 0)


@settings(max_examples=40, deadline=None)
@given(instances(), st.floats(-0.3, 0.3))
def test_lp_method_equals_enumeration(inst, drift):
    """Where both apply, the two exact methods give the same width, and the same blocking actors where
    the certificate is unique (both are supports of an optimal dual vertex)."""
    ws = _worlds(inst)
    a, b = zopa.Zone(ws, method="enumerate"), zopa.Zone(ws, method="lp")
    active = np.ones(len(inst["r"]), dtype=bool)
    for r in (inst["r"], inst["r"] + drift):
        va, vb = a.evaluate(r, active), b.evaluate(r, active)
        fin = np.isfinite(va.t)
        assert (np.isfinite(vb.t) == fin).all()
        assert np.abs(va.t[fin] - vb.t[fin]).max(initial=0.0) <= 1e-9
        assert (va.blocking[~fin] == vb.blocking[~fin]).all()
