"""Why no deal, on textbook cases whose answers are worked out by hand, and on the scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from zopa import sim
from tests.cases import run, two_party, write

TOL = 1e-9


@pytest.fixture(scope="module")
def december():
    return sim.load_scenario("scenarios/december-2022.yaml")


def diagnose(tmp_path, data, **kw):
    return sim.why(sim.load_scenario(write(tmp_path, data)), runs=1, seed=0, **kw)


def row(table, **match):
    sel = np.logical_and.reduce([table[k] == v for k, v in match.items()])
    assert sel.sum() == 1, match
    return table[sel].iloc[0]


def test_split_with_one_reservation_too_high_by_a_tenth(tmp_path):
    """Split a unit, u_a = x and u_b = 1 - x, reservations 0.6 and 0.5: they ask 1.1 of a pie of 1.

    Width t* = max_x min(x - 0.6, 0.5 - x) = (1 - 1.1) / 2 = -0.05, at x = 0.55. Either actor alone must
    drop 0.1 (a to 0.5, or b to 0.4); each dropping the same gives -t* = 0.05 each; the pair together
    needs 0.1 in all. The dual certificate is mu = (1/2, 1/2): each reservation costs half a unit of width.
    """
    w = diagnose(tmp_path, two_party(reservations=(0.6, 0.5)))
    wt = w.worlds.iloc[0]
    assert wt["width"] == pytest.approx(-0.05, abs=TOL)
    assert wt["equal_concession"] == pytest.approx(0.05, abs=TOL)
    assert wt["drop.a"] == pytest.approx(0.1, abs=TOL) and wt["drop.b"] == pytest.approx(0.1, abs=TOL)
    assert wt["pair"] == "a+b" and wt["pair_total"] == pytest.approx(0.1, abs=TOL)
    a = row(w.constraints, kind="reservation", actor="a")
    assert a["binds"] and a["weight"] == pytest.approx(0.5, abs=TOL)
    assert a["needed"] == pytest.approx(0.5, abs=TOL) and a["move"] == pytest.approx(0.1, abs=TOL)
    assert row(w.constraints, kind="reservation", actor="b")["needed"] == pytest.approx(0.4, abs=TOL)
    assert not len(w.clashes)
    assert "would have to drop by 0.1 (0.1-0.1) utility" in w.text()


def tariffs(eu_reservation=0.0, us_reservation=0.0) -> dict:
    """A tariff from 0 to 50%: the EU wants 0 and will not go above 10, the US wants 50 and will not go
    below 25. u_eu = 1 - x/50, u_us = x/50."""
    return {"name": "tariffs", "title": "A tariff dispute", "calendar": {"start": "2025-01-01", "step": "month"},
            "horizon": 2, "issues": {"tariff": {"range": [0, 50], "unit": "%"}},
            "actors": {
                "eu": {"label": "EU", "weights": {"tariff": 1}, "ideal": {"tariff": 0},
                       "red_lines": {"tariff": {"max": 10}}, "reservation": eu_reservation},
                "us": {"label": "US", "weights": {"tariff": 1}, "ideal": {"tariff": 50},
                       "red_lines": {"tariff": {"min": 25}}, "reservation": us_reservation}}}


def test_two_red_lines_fifteen_units_apart(tmp_path):
    """The US's minimum 25 lies 25 - 10 = 15 points above the EU's maximum 10: no outcome at all. With
    reservations 0, either red line moving across the gap opens the zone (at x = 25, u_eu = u_us = 0.5):
    the EU's maximum to 25, or the US's minimum to 10."""
    w = diagnose(tmp_path, tariffs())
    k = w.clashes.iloc[0]
    assert (k["issue"], k["low"], k["high"]) == ("tariff", "us", "eu")
    assert k["gap"] == pytest.approx(15, abs=TOL)
    assert w.worlds["clash"].iloc[0]
    eu = row(w.constraints, actor="eu", bound="max")
    us = row(w.constraints, actor="us", bound="min")
    assert eu["binds"] and us["binds"]
    assert eu["needed"] == pytest.approx(25, abs=TOL) and eu["move"] == pytest.approx(15, abs=TOL)
    assert us["needed"] == pytest.approx(10, abs=TOL)
    assert not row(w.constraints, kind="reservation", actor="eu")["alone"]
    assert "tariff: US's minimum lies 15 (15-15) % above EU's maximum" in w.text()


def test_a_red_line_that_must_cross_the_gap_and_more(tmp_path):
    """Reservations 0.3 (EU) and 0.6 (US): the EU accepts x <= 50 (1 - 0.3) = 35, the US needs
    x >= 50 * 0.6 = 30. The EU's maximum must move from 10 to 30 (20 points, 5 beyond the gap); the US's
    minimum cannot help alone (any x <= 10 gives the US at most 0.2 < 0.6)."""
    w = diagnose(tmp_path, tariffs(0.3, 0.6))
    assert row(w.constraints, actor="eu", bound="max")["needed"] == pytest.approx(30, abs=TOL)
    us = row(w.constraints, actor="us", bound="min")
    assert not us["alone"] and np.isnan(us["needed"])


TRIO = {
    "a": {"weights": {"p": 5, "q": 1}, "ideal": {"p": 1, "q": 1}, "reservation": 0.65},
    "b": {"weights": {"p": 3, "q": 4}, "ideal": {"p": 0.5, "q": 1}, "reservation": 0.75},
    "c": {"weights": {"p": 4, "q": 5}, "ideal": {"p": 0.5, "q": 0.25}, "reservation": 0.65},
}
TRIO_BASE = {"name": "trio", "title": "Pairs but not all", "horizon": 1, "calendar": {"start": "2024-01-01"},
             "issues": {"p": {"range": [0, 1]}, "q": {"range": [0, 1]}}}


def test_every_pair_has_a_zone_but_not_all_three(tmp_path):
    """Three actors, every pair has a zone, all three do not (t* = -0.0386..., the value checked against
    HiGHS in test_engine_textbook): the one minimal blocking coalition is all three, and each pair's width
    equals the width of the pair run as its own scenario."""
    w = diagnose(tmp_path, {**TRIO_BASE, "actors": TRIO})
    co = w.coalitions.set_index("coalition")
    assert list(co.index[co["minimal_blocking"]]) == ["a+b+c"]
    assert co.loc["a+b+c", "width"] == pytest.approx(-0.03861660079051388, abs=TOL)
    for pair in (("a", "b"), ("a", "c"), ("b", "c")):
        alone = run(tmp_path, {**TRIO_BASE, "actors": {k: TRIO[k] for k in pair}})
        assert co.loc["+".join(pair), "open"]
        assert co.loc["+".join(pair), "width"] == pytest.approx(alone.history["zopa_width"].iloc[0], abs=TOL)
    assert w.worlds["equal_concession"].iloc[0] == pytest.approx(0.03861660079051388, abs=TOL)


def test_coalitions_match_each_subset_run_as_its_own_scenario(tmp_path):
    """Four actors with uncertain reservations and red lines; each coalition of the diagnosis, world by
    world, has the width of that coalition run alone (the same draws: streams are keyed by parameter)."""
    rng = np.random.default_rng(5)
    names = ["w", "x", "y", "z"]
    actors = {}
    for a in names:
        ideal = {"p": round(float(rng.random()), 2), "q": round(float(rng.random()), 2)}
        actors[a] = {"weights": {"p": round(float(rng.uniform(1, 3)), 2), "q": round(float(rng.uniform(1, 3)), 2),
                                 "s": 1},
                     "ideal": {**ideal, "s": str(rng.choice(["low", "mid", "high"]))},
                     "red_lines": {"p": {"min": {"uniform": [0.0, 0.3]}}, "q": {"max": {"uniform": [0.6, 1.0]}}},
                     "reservation": {"uniform": [0.55, 0.9]}}
    base = {"name": "four", "title": "Four", "horizon": 1, "calendar": {"start": "2024-01-01"},
            "issues": {"p": {"range": [0, 1]}, "q": {"range": [0, 1]}, "s": {"levels": ["low", "mid", "high"]}}}
    path = write(tmp_path, {**base, "actors": actors})
    w = sim.why(sim.load_scenario(path), runs=12, seed=4)
    co = w.coalitions
    assert co["open"].any() and (~co["open"]).any()
    for coalition in co.loc[co["size"] >= 2, "coalition"].unique():     # a scenario needs two actors
        members = coalition.split("+")
        alone = run(tmp_path, {**base, "actors": {a: actors[a] for a in members}}, runs=12, seed=4)
        h = alone.history[alone.history["round"] == 0].set_index("world")["zopa_width"]
        mine = co[co["coalition"] == coalition].set_index("world")["width"]
        np.testing.assert_allclose(mine.to_numpy(), h.loc[mine.index].to_numpy(), atol=TOL)


def test_ripeness_from_erosion(tmp_path):
    """Reservations 0.7 and 0.6 eroding 0.01 and 0.02 a round: the width (1 - 1.3 + 0.03 t) / 2 reaches
    -0.05 (the default margin) at t = 20/3, so there is a way out from round 7. Both reservations fall
    every round and there is no battlefield and no belief, so from round 3 (the window) on it is a
    mutually hurting stalemate (Zartman 2000); ripe from round 7; the zone opens at round 10."""
    data = two_party(reservations=(0.7, 0.6), horizon=12)
    data["actors"]["a"]["erosion"] = 0.01
    data["actors"]["b"]["erosion"] = 0.02
    data["actors"]["a"]["talks_when"] = "never"
    w = diagnose(tmp_path, data, round=9)
    r = w.ripeness.set_index("round")
    assert list(r.index) == list(range(10))
    assert (r["mutually_hurting_stalemate"] == (r.index >= 3)).all()
    assert (r["way_out"] == (r.index >= 7)).all()
    assert (r["ripe"] == (r.index >= 7)).all()
    assert w.worlds["width"].iloc[0] == pytest.approx((1 - 1.3 + 0.27) / 2, abs=TOL)


def test_why_on_results_uses_the_same_worlds(december):
    """From Results: the same seed and runs, so the widths at round 0 are those of the run's history."""
    results = sim.simulate(december, runs=30, seed=7)
    w = sim.why(results, round=0, coalitions=False)
    h = results.history[results.history["round"] == 0].set_index("world")["zopa_width"]
    np.testing.assert_array_equal(w.worlds.set_index("world")["width"].to_numpy(), h.to_numpy())
    assert w.record["seed"] == 7 and len(w.worlds) == 30


def test_december_2022_names_the_clashes(december):
    """On 6 December 2022 Ukraine's territorial minimum (1) lies above Russia's maximum in every world."""
    w = sim.why(december, runs=50, seed=1)
    terr = w.clashes[w.clashes["issue"] == "territory"]
    assert terr["world"].nunique() == 50 and (terr["low"] == "ukraine").all()
    assert (terr["gap"] > 0.7).all()
    assert "territory: Ukraine's minimum lies" in w.text()


def test_bad_round_and_date_are_refused(december):
    with pytest.raises(ValueError, match="round: found 999"):
        sim.why(december, runs=2, round=999)
    with pytest.raises(ValueError, match="date: found 1900-01-01"):
        sim.why(december, runs=2, date="1900-01-01")
