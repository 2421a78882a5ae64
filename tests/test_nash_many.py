"""Nash (1950) with many actors and issues (the LP method): the deal against slow references, one world
at a time, and the interior-point method of :mod:`zopa.sim.engine.nashpoint` against SLSQP."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from zopa.sim.engine import protocols, solver as zopa
from zopa.sim.engine.nashpoint import nash_points
from zopa.sim.engine.utility import utilities_at
from tests.test_zopa_property import _nash_reference, _worlds, large_instances


def _weights_reference(vc, c):
    """Largest sum log g over g = c + sum_kj lam_kj v_kj, lam_k in the simplex, by SLSQP from two starts;
    the weights it returns are clipped and rescaled onto the simplices, so its point is feasible."""
    kc, J, n = vc.shape

    def value(lam):
        lam = np.clip(lam, 0.0, None).reshape(kc, J)
        lam = lam / lam.sum(axis=1, keepdims=True)
        g = c + (lam[:, :, None] * vc).sum(axis=(0, 1))
        return np.log(g).sum() if (g > 0).all() else -np.inf

    def neg(lam):
        g = c + (lam.reshape(kc, J, 1) * vc).sum(axis=(0, 1))
        return -np.log(np.maximum(g, 1e-300)).sum()

    cons = [{"type": "eq", "fun": (lambda lam, k=k: lam[k * J:(k + 1) * J].sum() - 1.0)} for k in range(kc)]
    best = -np.inf
    for x0 in (np.full(kc * J, 1.0 / J), np.eye(J)[vc.sum(axis=2).argmax(axis=1)].reshape(-1)):
        res = minimize(neg, x0, bounds=[(0.0, 1.0)] * (kc * J), constraints=cons, method="SLSQP",
                       options={"ftol": 1e-15, "maxiter": 400})
        best = max(best, value(res.x))
    return best


@settings(max_examples=8, deadline=None)
@given(large_instances(), st.sampled_from([0.2, 0.5]))
def test_nash_with_many_actors_beats_direct_searches(inst, shrink):
    """Up to 12 actors and 8 range issues under the LP method, after the cutting planes the model runs:
    the deal gives every actor at least its reservation, terms deliver it, and its product of gains is
    never beaten (to 1e-7 in its logarithm) by SLSQP on the candidate points' weights nor (up to 3 range
    issues) by Powell's search on the terms, in any levels combination inside every red line."""
    inst = {**inst, "r": inst["r"] * shrink}
    zone = zopa.Zone(_worlds(inst), method="lp")
    r = inst["r"]
    v = zone.evaluate(r, np.ones(len(r), dtype=bool))
    idx = np.where(v.t > 1e-6)[0]
    if not len(idx):
        return
    zone.prepare(idx, r, "nash")
    p = protocols.Problem(zone.mu[idx], zone.B[idx], zone.feasible[idx], r[idx], np.full(r[idx].shape, 0.9),
                          zone.points(idx), zone.L[idx])
    y, combo = protocols.PROTOCOLS["nash"](len(idx), r.shape[1]).choose(p)
    kc = inst["kc"]
    e = {"w_r": inst["w"][idx, :, :kc], "L": zone.L[idx], "a": zone.box[0][idx], "b": zone.box[1][idx]}
    sub = {**inst, **{k: inst[k][idx] for k in ("ideal", "span", "r")}}
    x = zopa_terms(y, combo, zone, idx)
    u = utilities_at(x, e["w_r"], sub["ideal"], sub["span"], e["L"][np.arange(len(idx)), combo])
    assert (u >= y - 1e-9).all() and (y >= r[idx] - 1e-12).all()
    ours = np.log(y - r[idx]).sum(axis=1)
    vc = zone.points(idx)
    for j in range(len(idx)):
        for l in np.where(zone.feasible[idx][j])[0]:
            assert ours[j] >= _weights_reference(vc[j], e["L"][j, l] - r[idx][j]) - 1e-7
            if kc <= 3:                                            # Powell's search is slow beyond
                assert ours[j] >= _nash_reference(sub, e, j, l) - 1e-7


def zopa_terms(y, combo, zone, idx):
    """Terms delivering ``y`` in its levels combination, as the model finds them."""
    from zopa.sim.engine.terms import terms_for
    wd = zone.worlds
    L = zone.L[idx][np.arange(len(idx)), combo]
    return terms_for(y, L, wd.w_range[idx], wd.ideal[idx], wd.span[idx], zone.box[0][idx], zone.box[1][idx])


@st.composite
def polytopes(draw):
    """Candidate utilities of 2-12 actors on 1-6 issues (ties and repeated points included) and a
    disagreement point strictly inside, 1-4 worlds."""
    n, kc, W = draw(st.integers(2, 12)), draw(st.integers(1, 6)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    vc = rng.random((W, kc, n, n)) / kc
    if draw(st.booleans()):
        vc = np.round(vc * 4) / 4
        vc[:, :, -1] = vc[:, :, 0]                                   # a repeated candidate point
    vc = vc + 0.01 / kc                                              # every actor gains somewhere
    inner = vc.mean(axis=2).sum(axis=1)                              # a point of the polytope
    c = -inner * draw(st.sampled_from([0.3, 0.9, 0.999]))
    return vc, c


@settings(max_examples=20, deadline=None)
@given(polytopes())
def test_interior_point_nash_is_certified_and_optimal(case):
    """The interior-point method's point is feasible (the gains of a convex combination of candidate
    points), certified, and within 1e-9 of SLSQP's best in the log of the Nash product (never below it by
    more, and above it by no more than SLSQP's own error)."""
    vc, c = case
    W, kc, J, n = vc.shape
    inner = -c
    t = np.full(W, 0.5) * np.abs(inner).min(axis=1) + 1e-3
    g, ok = nash_points(vc, c, t)
    assert ok.all()
    assert (g > 0).all()
    for i in range(W):
        ref = _weights_reference(vc[i], c[i])
        assert np.log(g[i]).sum() >= ref - 1e-9
