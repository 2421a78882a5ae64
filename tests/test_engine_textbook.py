"""Published results the engine must reproduce exactly, through scenario files and ``sim.simulate``."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cases import run, two_party

TOL = 1e-9


def deal(results, column):
    o = results.outcomes
    assert o["agreed"].all(), "every world should strike a deal"
    return o[column].to_numpy(dtype=float)


def test_nash_1950_split_with_disagreement_point(tmp_path):
    """Nash (1950): max (x - 0.2)(1 - x) gives x = 0.6: the gains over disagreement are split equally."""
    r = run(tmp_path, two_party(reservations=(0.2, 0.0)))
    assert deal(r, "terms.share") == pytest.approx([0.6], abs=TOL)
    assert deal(r, "utility.b") == pytest.approx([0.4], abs=TOL)


def logroll(protocol, rb=0.0):
    return {
        "name": "logroll", "title": "Two issues valued differently", "horizon": 1, "protocol": protocol,
        "calendar": {"start": "2024-01-01"},
        "issues": {"p": {"range": [0, 1]}, "q": {"range": [0, 1]}},
        "actors": {
            "a": {"weights": {"p": 1}, "ideal": {"p": 1, "q": 1}, "reservation": 0.0},
            "b": {"weights": {"p": 1, "q": 1}, "ideal": {"p": 0, "q": 0}, "reservation": rb},
        },
    }


@pytest.mark.parametrize("protocol, expected_p", [
    # Frontier u_a = p, u_b = 1 - p/2 (q = 0), disagreement (0, 0.2).
    ("nash", 0.8),                       # Nash (1950): max p (0.8 - p/2)  -> p = 0.8
    ("kalai-smorodinsky", 8 / 13),       # Kalai & Smorodinsky (1975): gains in ratio of ideal gains 1 : 0.8
    ("egalitarian", 0.8 / 1.5),          # Kalai (1977): equal gains p = 0.8 - p/2
])
def test_two_issue_solutions_differ_as_published(tmp_path, protocol, expected_p):
    r = run(tmp_path, logroll(protocol, rb=0.2))
    assert deal(r, "terms.p") == pytest.approx([expected_p], abs=TOL)
    assert deal(r, "terms.q") == pytest.approx([0.0], abs=TOL)


def test_nash_logrolling_vertex_solution(tmp_path):
    """Nash (1950) on a two-issue trade: each side gets the issue it weights more (a vertex of P)."""
    data = logroll("nash")
    data["actors"]["a"]["weights"] = {"p": 0.8, "q": 0.2}
    data["actors"]["b"]["weights"] = {"p": 0.2, "q": 0.8}
    r = run(tmp_path, data)
    assert deal(r, "terms.p") == pytest.approx([1.0], abs=TOL)
    assert deal(r, "terms.q") == pytest.approx([0.0], abs=TOL)
    assert deal(r, "utility.a") == pytest.approx([0.8], abs=TOL)


def three_on_a_line(protocol):
    return {
        "name": "three", "title": "Three actors, one issue", "horizon": 1, "protocol": protocol,
        "calendar": {"start": "2024-01-01"},
        "issues": {"x": {"range": [0, 1]}},
        "actors": {
            "a": {"weights": {"x": 1}, "ideal": {"x": 0}, "reservation": 0.0},
            "b": {"weights": {"x": 1}, "ideal": {"x": 1}, "reservation": 0.0},
            "c": {"weights": {"x": 1}, "ideal": {"x": 0.25}, "reservation": 0.0},
        },
    }


def test_nash_three_actors(tmp_path):
    """Nash (1950), n = 3: max (1 - x) x (1 - x)/0.75 on x >= 1/4 gives x = 1/3."""
    r = run(tmp_path, three_on_a_line("nash"))
    assert deal(r, "terms.x") == pytest.approx([1 / 3], abs=TOL)


@pytest.mark.parametrize("protocol", ["egalitarian", "kalai-smorodinsky"])
def test_egalitarian_and_ks_three_actors(tmp_path, protocol):
    """Kalai (1977) and Kalai & Smorodinsky (1975), n = 3, ideal gains all 1: x = 1/2."""
    r = run(tmp_path, three_on_a_line(protocol))
    assert deal(r, "terms.x") == pytest.approx([0.5], abs=TOL)


@pytest.mark.parametrize("d1, d2", [(0.9, 0.9), (0.9, 0.8), (0.5, 0.95), (0.99, 0.6), (0.999, 0.999),
                                    (0.9999, 0.995)])
def test_rubinstein_1982_share(tmp_path, d1, d2):
    """Rubinstein (1982): the first proposer gets (1 - d2) / (1 - d1 d2)."""
    r = run(tmp_path, two_party(protocol="alternating-offers", discounts=(d1, d2)))
    assert deal(r, "terms.share") == pytest.approx([(1 - d2) / (1 - d1 * d2)], abs=TOL)


def test_zeuthen_concession_ends_at_nash(tmp_path):
    """Zeuthen (1930) / Harsanyi (1956): monotonic concession converges to the Nash solution."""
    r = run(tmp_path, two_party(reservations=(0.2, 0.0), protocol="concession", horizon=20))
    assert deal(r, "terms.share") == pytest.approx([0.6], abs=TOL)
    assert r.outcomes["agreement_round"].iloc[0] > r.outcomes["talks_round"].iloc[0]


@pytest.mark.parametrize("protocol", ["nash", "kalai-smorodinsky", "egalitarian", "alternating-offers",
                                      "concession"])
def test_indivisible_issues_only(tmp_path, protocol):
    """With only levels issues the feasible set is a few points: every protocol picks the middle level
    for two actors at opposite ends (utilities 0.5 each; the ends give one of them 0 < 0.2)."""
    data = {"name": "levels", "title": "One indivisible issue", "horizon": 6, "protocol": protocol,
            "calendar": {"start": "2024-01-01"}, "issues": {"lv": {"levels": ["low", "mid", "high"]}},
            "actors": {"a": {"weights": {"lv": 1}, "ideal": {"lv": "low"}, "reservation": 0.2},
                       "b": {"weights": {"lv": 1}, "ideal": {"lv": "high"}, "reservation": 0.2}}}
    o = run(tmp_path, data).outcomes
    assert o["agreed"].all() and (o["terms.lv"] == "mid").all()
    assert o["utility.a"].iloc[0] == pytest.approx(0.5, abs=TOL)


def test_concession_concludes_while_reservations_move():
    """Every world of the strike scenario settles within n / step rounds of talks, inside the ZOPA."""
    from zopa import sim
    from pathlib import Path
    scenario = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "wage-talks.yaml")
    o = sim.simulate(scenario, runs=300, seed=2).outcomes
    assert o["agreed"].all()
    talks_rounds = (o["agreement_round"] - o["talks_round"] + 1).astype(int)
    assert talks_rounds.max() <= 2 / scenario.concession_step
    assert (o["utility.union"] >= o["reservation.union"] - TOL).all()
    assert (o["utility.employer"] >= o["reservation.employer"] - TOL).all()
    assert set(o["terms.pension"]) <= {"defined-contribution", "hybrid"}


@pytest.mark.parametrize("p, ca, cb", [(0.6, 0.1, 0.15), (0.3, 0.05, 0.2), (0.5, 0.0, 0.0)])
def test_fearon_1995_bargaining_range(tmp_path, p, ca, cb):
    """Fearon (1995): with war worth p - c_A and 1 - p - c_B, the deals both prefer are [p - c_A, p + c_B]."""
    data = two_party(protocol="egalitarian")
    data["actors"]["a"]["reservation"] = {"war": {"win_probability": p, "cost": ca}}
    data["actors"]["b"]["reservation"] = {"war": {"win_probability": round(1 - p, 12), "cost": cb}}
    r = run(tmp_path, data)
    width = r.history.loc[r.history["round"] == 0, "zopa_width"].iloc[0]
    assert width == pytest.approx((ca + cb) / 2, abs=TOL)
    # The egalitarian deal is the middle of the range, so the range is [p - c_A, p + c_B].
    assert deal(r, "terms.share") == pytest.approx([p + (cb - ca) / 2], abs=TOL)


def test_fearon_no_range_without_costs_when_optimistic(tmp_path):
    """Fearon (1995): mutual optimism (p_A + p_B > 1 + c_A + c_B) leaves no bargaining range."""
    data = two_party()
    data["actors"]["a"]["reservation"] = {"war": {"win_probability": 0.7, "cost": 0.05}}
    data["actors"]["b"]["reservation"] = {"war": {"win_probability": 0.5, "cost": 0.05}}
    r = run(tmp_path, data)
    assert not r.history["zopa_open"].any()
    assert r.history["zopa_width"].iloc[0] == pytest.approx((1 - 0.65 - 0.45) / 2, abs=TOL)


def test_pairwise_zopas_but_no_three_way_zopa(tmp_path):
    """Every pair can agree, all three cannot: pairwise-intersecting convex sets in the plane need not
    share a point (Helly's theorem needs every triple); found and checked against HiGHS."""
    actors = {
        "a": {"weights": {"p": 5, "q": 1}, "ideal": {"p": 1, "q": 1}, "reservation": 0.65},
        "b": {"weights": {"p": 3, "q": 4}, "ideal": {"p": 0.5, "q": 1}, "reservation": 0.75},
        "c": {"weights": {"p": 4, "q": 5}, "ideal": {"p": 0.5, "q": 0.25}, "reservation": 0.65},
    }
    base = {"name": "trio", "title": "Pairs but not all", "horizon": 1, "calendar": {"start": "2024-01-01"},
            "issues": {"p": {"range": [0, 1]}, "q": {"range": [0, 1]}}}
    for pair in (("a", "b"), ("a", "c"), ("b", "c")):
        r = run(tmp_path, {**base, "actors": {k: actors[k] for k in pair}})
        assert r.outcomes["zopa_round"].iloc[0] == 0, pair
    r = run(tmp_path, {**base, "actors": actors})
    assert r.outcomes["zopa_round"].isna().iloc[0]
    assert r.history["zopa_width"].iloc[0] == pytest.approx(-0.03861660079051388, abs=1e-9)
    assert set(r.outcomes["blocking"].iloc[0]) == {"a", "b", "c"}


def test_erosion_opens_the_zopa_on_time(tmp_path):
    """Reservations 0.7 and 0.6 on a unit surplus, eroding 0.01 and 0.02 a round: open at round 10."""
    data = two_party(reservations=(0.7, 0.6), horizon=20)
    data["actors"]["a"]["erosion"] = 0.01
    data["actors"]["b"]["erosion"] = 0.02
    r = run(tmp_path, data)
    h = r.history
    assert h.loc[h["round"] < 10, "zopa_open"].eq(False).all()
    assert r.outcomes["zopa_round"].iloc[0] == 10
    expected = (1 - 1.3 + 0.03 * h["round"]) / 2
    np.testing.assert_allclose(h["zopa_width"], expected, atol=TOL)


def test_learning_while_fighting_opens_the_zopa(tmp_path):
    """Slantchev (2003), Filson & Werner (2002): both sides start optimistic (Beta(8, 2) beliefs of
    winning); every battle updates both, so p_A + p_B = (16 + N) / (10 + N) falls to 1.1 after N = 50
    battles, when with costs 0.05 each a bargaining range appears, whoever won the battles."""
    data = two_party(horizon=15, battlefield={"side_a": ["a"], "side_b": ["b"], "p_a": {"uniform": [0.2, 0.8]},
                                              "battles_per_round": 5})
    data["actors"]["a"]["reservation"] = {"war": {"win_probability": {"prior": {"beta": [8, 2]}}, "cost": 0.05}}
    data["actors"]["b"]["reservation"] = {"war": {"win_probability": {"prior": {"beta": [8, 2]}}, "cost": 0.05}}
    data["actors"]["a"]["talks_when"] = "never"
    r = run(tmp_path, data, runs=200, seed=3)
    assert (r.outcomes["zopa_round"] == 10).all()
    h = r.history
    total = h["reservation.a"] + h["reservation.b"] + 0.1
    n = 5 * h["round"]
    np.testing.assert_allclose(total, (16 + n) / (10 + n), atol=1e-12)
