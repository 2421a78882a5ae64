"""Every protocol's deal is Pareto optimal: no outcome inside the red lines beats it for one actor while
matching it for the rest, on its own levels combination or any other (checked by one HiGHS LP each)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from zopa.sim.engine.protocols import PROTOCOLS, Problem, holding
from zopa.sim.engine.terms import settle
from tests.cases import run
from tests.reference import utility_rows
from tests.test_zopa_property import engine, instances

CAL = {"start": "2024-01-01", "step": "month"}


def best_total_reference(w, ideal, span, lo, hi, L, floor):
    """max sum_i u_i(x) s.t. u_i(x) >= floor_i, lo <= x <= hi (one world, one levels combination).

    Textbook LP: variables x (kc) and v_ik <= 1 -+ (x_k - ideal_ik) / span_ik, u_i = sum_k w_ik v_ik + L_i.
    Returns the largest total, or None when no outcome reaches the floor. The floor is lowered by 1e-10:
    a deal's utility can be an actor's largest one to the last bit, which a presolve may call infeasible.
    """
    floor = floor - 1e-10
    n, kc = w.shape
    if (lo > hi + 1e-12).any():
        return None
    if kc == 0:
        return L.sum() if (L >= floor).all() else None
    nv = kc + n * kc
    c = np.zeros(nv)
    c[kc:] = -w.reshape(-1)
    A, b = utility_rows(w, ideal, span, nv, L - floor)
    bounds = [(lo[k], max(lo[k], hi[k])) for k in range(kc)] + [(None, 1.0)] * (n * kc)
    res = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    return -res.fun + L.sum() if res.status == 0 else None


def strike_all(name, problem, *, step=0.25, rounds=200):
    """Run a protocol on every row of ``problem`` until each has agreed (concession takes several calls)."""
    W, n = problem.r.shape
    protocol = PROTOCOLS[name](W, n, step=step)
    y, combo = np.full((W, n), np.nan), np.full(W, -1)
    todo = np.arange(W)
    for _ in range(rounds):
        sub = Problem(*(getattr(problem, f)[todo] for f in Problem.__dataclass_fields__))
        agreed, y_s, c_s = protocol.strike(todo, sub)
        y[todo[agreed]], combo[todo[agreed]] = y_s[agreed], c_s[agreed]
        todo = todo[~agreed]
        if not len(todo):
            break
    assert not len(todo), f"{name}: no deal after {rounds} rounds"
    return y, combo


@st.composite
def tied_instances(draw):
    """Like ``instances`` but with weights, ideals, levels values and reservations on a coarse grid, so that
    levels combinations tie and ideals fall inside the set of outcomes good enough for everyone."""
    n, kc, kl = draw(st.integers(2, 4)), draw(st.integers(0, 2)), draw(st.integers(1, 2))
    W = draw(st.sampled_from([1, 3]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.integers(0, 3, (W, n, kc + kl)) + 0.0
    w[:, :, kc] += 1.0                                   # every actor cares about the first levels issue
    w /= w.sum(axis=2, keepdims=True)
    ideal = rng.integers(0, 5, (W, n, kc)) / 4
    sizes = [int(x) for x in rng.integers(2, 4, kl)]
    return dict(w=w, kc=kc, ideal=ideal, span=np.maximum(ideal, 1 - ideal), red_lo=np.zeros((W, n, kc)),
                red_hi=np.ones((W, n, kc)), level_vals=[rng.integers(0, 3, (n, s)) / 2 for s in sizes],
                allowed=[rng.random((W, n, s)) < 0.9 for s in sizes], sizes=sizes,
                r=rng.integers(0, 3, (W, n)) / 4)


@settings(max_examples=60, deadline=None)
@given(instances() | tied_instances(), st.sampled_from(sorted(PROTOCOLS)), st.floats(0.5, 0.99))
def test_no_outcome_beats_any_deal(inst, name, delta):
    e = engine(inst)
    ok = np.where(e["t"] >= 0)[0]
    if not len(ok):
        return
    kc = inst["kc"]
    r = inst["r"][ok]
    problem = Problem(e["mu"][ok], e["B"][ok], e["feasible"][ok], r, np.full(r.shape, delta), e["vc"][ok],
                      e["L"][ok])
    y, combo = strike_all(name, problem)
    cand = holding(problem.mu, problem.B, problem.feasible, y, combo)
    x, combo, u, status = settle(y, cand, e["L"][ok], e["w_r"][ok], inst["ideal"][ok], inst["span"][ok],
                                 e["a"][ok], e["b"][ok])
    assert (status == "ok").all(), status
    assert (u >= r - 1e-9).all(), "individually rational"
    for j, i in enumerate(ok):
        lo, hi = inst["red_lo"][i].max(axis=0), inst["red_hi"][i].min(axis=0)
        assert (x[j] >= lo - 1e-12).all() and (x[j] <= hi + 1e-12).all(), "inside the red lines"
        for l_idx, levels in enumerate(itertools.product(*[range(s) for s in inst["sizes"]])):
            inside = all(inst["allowed"][k][i][:, lv].all() for k, lv in enumerate(levels))
            if not inside:
                assert l_idx != combo[j], "the deal's levels lie inside every red line"
                continue
            L = sum((inst["w"][i, :, kc + k] * inst["level_vals"][k][:, lv] for k, lv in enumerate(levels)),
                    np.zeros(len(r[j])))
            best = best_total_reference(inst["w"][i, :, :kc], inst["ideal"][i], inst["span"][i], lo, hi, L, u[j])
            if l_idx == combo[j]:
                assert best is not None, ("the deal itself reaches its own utilities", x[j], u[j], levels, lo, hi)
            if best is not None:
                assert best <= u[j].sum() + 1e-7, (name, levels, best - u[j].sum())


def _scenario(name, protocol, issues, actors):
    return {"name": name, "title": name, "calendar": CAL, "horizon": 1, "protocol": protocol,
            "issues": issues, "actors": actors}


def test_egalitarian_reaches_an_interior_kink(tmp_path):
    """Kalai (1977) then the Pareto frontier: equal gains give u = (0.6, 1.0) at best; among the outcomes at
    least that good for both, x = 0.15 (a's ideal, inside the set, not a vertex of it) gives u = (1, 1)."""
    data = _scenario("egal-vertex", "egalitarian", {"x": {"range": [0, 1]}, "y": {"range": [0, 1]}}, {
        "a": {"weights": {"x": 1}, "ideal": {"x": 0.15}, "reservation": 0.4},
        "b": {"weights": {"y": 1}, "ideal": {"y": 0.4}, "reservation": 0.8}})
    o = run(tmp_path, data).outcomes.iloc[0]
    assert o["agreed"] and o["status"] == "ok"
    assert (o["terms.x"], o["terms.y"]) == pytest.approx((0.15, 0.4), abs=1e-12)
    assert (o["utility.a"], o["utility.b"]) == pytest.approx((1.0, 1.0), abs=1e-12)


def test_egalitarian_breaks_ties_between_levels_by_pareto(tmp_path):
    """Both combinations with A = yes give the equal gain 0.5; (yes, hi) gives u = (1, 1), (yes, lo) only
    (0.5, 1): the deal is (yes, hi)."""
    data = _scenario("egal-combo", "egalitarian", {"A": {"levels": ["no", "yes"]}, "B": {"levels": ["lo", "hi"]}}, {
        "a": {"weights": {"A": 1, "B": 1}, "ideal": {"A": "yes", "B": "hi"}, "reservation": 0.0},
        "b": {"weights": {"A": 1}, "ideal": {"A": "yes"}, "reservation": 0.5}})
    o = run(tmp_path, data).outcomes.iloc[0]
    assert (o["terms.A"], o["terms.B"]) == ("yes", "hi")
    assert (o["utility.a"], o["utility.b"]) == pytest.approx((1.0, 1.0), abs=1e-12)


def test_kalai_smorodinsky_then_pareto_frontier(tmp_path):
    """Kalai & Smorodinsky (1975): ideal gains (1, 1), so the KS point is (0.5, 0.5), on A = q; b's ideal
    y = 0.8 costs a nothing, so the deal is x = 0, y = 0.8 with u = (0.5, 1), not y = 1 (u_b = 11/12)."""
    data = _scenario("ks-vertex", "kalai-smorodinsky",
                     {"A": {"levels": ["p", "q"]}, "x": {"range": [0, 1]}, "y": {"range": [0, 1]}}, {
                         "a": {"weights": {"A": 1, "x": 1}, "ideal": {"A": "p", "x": 0}, "reservation": 0},
                         "b": {"weights": {"A": 2, "y": 1}, "ideal": {"A": "q", "y": 0.8}, "reservation": 0}})
    o = run(tmp_path, data).outcomes.iloc[0]
    assert o["terms.A"] == "q"
    assert (o["terms.x"], o["terms.y"]) == pytest.approx((0.0, 0.8), abs=1e-12)
    assert (o["utility.a"], o["utility.b"]) == pytest.approx((0.5, 1.0), abs=1e-12)
