"""No protocol crashes on a valid scenario, and no deal sits below a reservation or outside a red line.

The named tests are the shrunk reproducers of failures once seen (each failed on the code before its fix);
the property test runs all five protocols on scenarios with extreme but valid numbers.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings

from zopa import sim
from zopa.sim.engine.protocols import PROTOCOLS
from strategies import extreme_scenarios, utility, write_scenario
from tests.cases import run, two_party

REFUSED = "no terms give every actor its reservation"


def _levels(*names):
    return {"levels": list(names)}


# Alternating offers once agreed on utilities no terms deliver ("no terms deliver the agreed utilities"):
# four valid scenarios with a levels issue, discounts near 1.
ALTERNATING = [[
    {"x0": {"range": [0, 1]}, "lv": _levels("lo", "mid", "hi")},
    {"a0": {"weights": {"lv": 3}, "ideal": {"lv": "hi"}, "reservation": 0.5, "discount": 0.95},
     "a1": {"weights": {"x0": 3, "lv": 3}, "ideal": {"x0": 0.25, "lv": "mid"}, "reservation": 0.5,
            "discount": 0.99}},
], [
    {"x0": {"range": [0, 1]}, "lv": _levels("lo", "mid", "hi")},
    {"a0": {"weights": {"x0": 1}, "ideal": {"x0": 0.25}, "reservation": 0.5, "discount": 0.999},
     "a1": {"weights": {"lv": 2, "x0": 1}, "ideal": {"lv": "lo", "x0": 0.25}, "reservation": 0.1, "discount": 0.999},
     "a2": {"weights": {"lv": 2, "x0": 2}, "ideal": {"lv": "mid", "x0": 0.25}, "reservation": 0.5,
            "discount": 0.999}},
], [
    {"x0": {"range": [0, 1]}, "lv": _levels("lo", "mid", "hi")},
    {"a0": {"weights": {"lv": 3, "x0": 1}, "ideal": {"lv": "mid", "x0": 0.5}, "reservation": 0, "discount": 0.95},
     "a1": {"weights": {"lv": 2, "x0": 3}, "ideal": {"lv": "hi", "x0": 0}, "reservation": 0.1, "discount": 0.99},
     "a2": {"weights": {"x0": 3}, "ideal": {"x0": 0}, "reservation": 0.1, "discount": 0.999},
     "a3": {"weights": {"lv": 0.5}, "ideal": {"lv": "lo"}, "reservation": 0.1, "discount": 0.999}},
], [
    {"x0": {"range": [0, 1]}, "x1": {"range": [0, 1]}, "x2": {"range": [0, 1]}, "lv": _levels("lo", "mid", "hi")},
    {"a0": {"weights": {"x2": 3, "x1": 3, "x0": 2, "lv": 1}, "ideal": {"x2": 1, "x1": 0.5, "x0": 0.25, "lv": "hi"},
            "reservation": 0.5, "discount": 0.99},
     "a1": {"weights": {"x2": 2, "x1": 0.5, "x0": 2}, "ideal": {"x2": 0, "x1": 0, "x0": 1}, "reservation": 0,
            "discount": 0.9},
     "a2": {"weights": {"lv": 1}, "ideal": {"lv": "lo"}, "reservation": 0.2, "discount": 0.95}},
]]


def _scenario(protocol, issues, actors, horizon=2):
    return {"name": "repro", "title": "A shrunk reproducer", "calendar": {"start": "2024-01-01"},
            "horizon": horizon, "protocol": protocol, "issues": issues, "actors": actors}


def _assert_deal_keeps_its_promises(data, row):
    """Terms inside every red line; reported utilities at least the reservations, exactly; the utilities
    recomputed here from the terms at least the reservations less 1e-12 (this formula's own rounding)."""
    terms = {k: row[f"terms.{k}"] for k in data["issues"]}
    for a, actor in data["actors"].items():
        for k, rl in actor.get("red_lines", {}).items():
            x = terms[k]
            assert x in rl["allowed"] if "allowed" in rl else rl.get("min", x) <= x <= rl.get("max", x), (a, k, x)
        r = row[f"reservation.{a}"]
        assert row[f"utility.{a}"] >= r, (a, row[f"utility.{a}"], r)
        assert utility(data, a, terms) >= r - 1e-12, (a, utility(data, a, terms), r)


@pytest.mark.parametrize("case", range(len(ALTERNATING)))
def test_alternating_offers_agrees_on_utilities_some_terms_deliver(tmp_path, case):
    issues, actors = ALTERNATING[case]
    data = _scenario("alternating-offers", issues, actors)
    o = run(tmp_path, data).outcomes.iloc[0]
    assert o["status"] == "ok" and o["agreed"]
    _assert_deal_keeps_its_promises(data, o)


@pytest.mark.parametrize("protocol", ["concession", "nash"])
def test_levels_only_with_a_vertex_worth_1e_18_does_not_crash(tmp_path, protocol):
    """Only levels issues, weights 1e9 and 1e-9: one combination is worth 1e-18 to both actors, so its
    Nash point y = g + r rounds to 0 (once "attempt to get argmax of an empty sequence"). Both actors'
    best combination (big: lo, worth 1 - 1e-18) is the deal."""
    data = _scenario(protocol, {"big": _levels("lo", "hi"), "small": _levels("lo", "hi")}, {
        a: {"weights": {"big": 1e9, "small": 1e-9}, "ideal": {"big": "lo", "small": "hi"}, "reservation": -0.5}
        for a in ("a", "b")}, horizon=6)
    o = run(tmp_path, data).outcomes.iloc[0]
    assert o["status"] == "ok" and o["agreed"] and o["terms.big"] == "lo"
    assert o["utility.a"] == pytest.approx(1.0, abs=1e-15)


def _ks_extreme(r_a):
    """Weights 1e-9 and 1: b wants x = 1 and asks for all of it; a cares about x only at 1e-9."""
    return _scenario("kalai-smorodinsky", {"x": {"range": [0, 1]}, "lv": _levels("lo", "hi")}, {
        "a": {"weights": {"lv": 1.0, "x": 1e-9}, "ideal": {"lv": "lo", "x": 0.0}, "reservation": r_a},
        "b": {"weights": {"x": 1e-9}, "ideal": {"x": 1.0}, "reservation": 1.0}})


def test_kalai_smorodinsky_with_weights_1e_9_to_1e9_open_only_to_tolerance(tmp_path):
    """a's reservation 1 - 1e-16 needs x near 0, b's 1 needs x = 1: closed by about 1e-9, open to the
    solver's tolerance. Once "b_ub must not contain values inf, nan" (no levels combination was wide
    enough to define the ideal point); now every protocol refuses the deal and says why."""
    for protocol in PROTOCOLS:
        data = _ks_extreme(0.9999999999999999) | {"protocol": protocol}
        with pytest.warns(RuntimeWarning, match="could not be settled"):
            o = run(tmp_path, data).outcomes.iloc[0]
        assert o["status"] == REFUSED and not o["agreed"], protocol


def test_kalai_smorodinsky_with_weights_1e_9_to_1e9_settles_an_open_zone(tmp_path):
    """The same weights with room to agree (a asks 1 - 2e-9): a deal inside every reservation."""
    data = _ks_extreme(1 - 2e-9)
    o = run(tmp_path, data).outcomes.iloc[0]
    assert o["status"] == "ok" and o["agreed"]
    _assert_deal_keeps_its_promises(data, o)


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_single_point_zone_deal_sits_on_the_reservations(tmp_path, protocol):
    """Reservations 0.3 and 0.7 meet at x = 0.3: the zone is one point. Its deal once sat 1e-13 below a's
    reservation (u = 0.2999999999999 for r = 0.3): a tolerance let the terms fall under it."""
    data = two_party(reservations=(0.3, 0.7), protocol=protocol, horizon=8)
    o = run(tmp_path, data).outcomes.iloc[0]
    assert o["status"] == "ok" and o["agreed"]
    assert o["terms.share"] == pytest.approx(0.3, abs=1e-15)
    _assert_deal_keeps_its_promises(data, o)


@settings(max_examples=40, deadline=None)
@given(extreme_scenarios())
def test_every_protocol_keeps_red_lines_and_reservations_on_extreme_numbers(tmp_path_factory, data):
    """Weights over 18 orders of magnitude, single-point zones, reservations equal to the best outcome:
    no protocol crashes, every deal keeps every red line and reservation, and a world without a deal
    says why (the only reason allowed: a zone open only to the solver's tolerance)."""
    data = copy.deepcopy(data)
    data.pop("_point")
    tmp = tmp_path_factory.mktemp("x")
    for protocol in PROTOCOLS:
        data["protocol"] = protocol
        res = sim.simulate(sim.load_scenario(write_scenario(tmp, data)), runs=1, seed=0)
        o = res.outcomes.iloc[0]
        assert o["status"] in ("ok", REFUSED), (protocol, o["status"])
        if o["status"] == REFUSED:
            assert res.history["zopa_width"].iloc[-1] < 0, protocol
        if o["agreed"]:
            _assert_deal_keeps_its_promises(data, o)
