"""Costs of war, the moving front, patrons and scripted history: each with an answer worked out here."""

from __future__ import annotations

import numpy as np
import pytest

from zopa import sim
from zopa.sim.model import NegotiationModel
from zopa.sim.model import dynamics
from tests.cases import two_party, write

METHODS = ["enumerate", "enumerate-chunked", "lp"]


def use_method(monkeypatch, method: str) -> None:
    """Make every zone the models build use ``method``: the dense enumeration, the enumeration whose tables
    are built in chunks on demand, or one LP per world."""
    import functools

    from zopa.sim.engine import solver

    if method == "enumerate-chunked":
        monkeypatch.setattr(solver, "DENSE_MAX", 0)
    monkeypatch.setattr(solver.Zone, "__init__",
                        functools.partialmethod(solver.Zone.__init__, method=method.split("-")[0]))

LOSES = {"side_a": ["a"], "side_b": ["b"], "p_a": 0.0, "battles_per_round": 1}


def model(tmp_path, data, runs=1, seed=0) -> NegotiationModel:
    return NegotiationModel(sim.load_scenario(write(tmp_path, data)), runs=runs, rng=seed)


def run_rounds(m: NegotiationModel) -> list[dict]:
    rows = [m.last]
    while m.running:
        m.step()
        rows.append(m.last)
    return rows


def test_costs_accumulate_with_memory_fearon_c(tmp_path):
    # memory 0.5, 0.1 a round: C = 0.1, 0.15, 0.175, 0.1875 -> towards 0.1 / (1 - 0.5) = 0.2
    data = two_party(reservations=(0.5, 0.0), horizon=4)
    data["actors"]["a"]["costs"] = {"per_round": 0.1, "memory": 0.5}
    data["actors"]["a"]["talks_when"] = "never"
    res = [row["reservation"][0, 0] for row in run_rounds(model(tmp_path, data))]
    np.testing.assert_allclose(res, [0.5, 0.4, 0.35, 0.325, 0.3125], atol=1e-12)


def test_costs_rise_with_growth_and_battles(tmp_path):
    # per round 0.01 growing 100% a round (0.01, 0.02, 0.04) plus 0.05 per battle fought, memory 1
    data = two_party(reservations=(0.5, 0.0), horizon=3, battlefield=LOSES)
    data["actors"]["a"]["costs"] = {"per_round": 0.01, "growth": 1.0, "per_battle": 0.05}
    data["actors"]["a"]["talks_when"] = "never"
    res = [row["reservation"][0, 0] for row in run_rounds(model(tmp_path, data))]
    np.testing.assert_allclose(res, [0.5, 0.44, 0.37, 0.28], atol=1e-12)


def test_a_cost_trigger_opens_the_zone_at_a_known_round(tmp_path):
    # A holds out for at least 0.8 of the unit (its red lines' worst deal is worth 0.8 to it) with a
    # reservation of 0.9 falling 0.04 a round: 0.86, 0.82, 0.78 < 0.8 at round 3, when its red line
    # gives way to 0.3; B concedes at most 0.79, so the zone [0.78, 0.79] opens at round 3 and not before
    data = two_party(reservations=(0.9, 0.0), horizon=6)
    data["actors"]["a"]["red_lines"] = {"share": {"min": 0.8}}
    data["actors"]["b"]["red_lines"] = {"share": {"max": 0.79}}
    data["actors"]["a"]["costs"] = {"per_round": 0.04}
    data["actors"]["a"]["triggers"] = [{"when": {"reservation_below_red_lines": 0},
                                        "red_lines": {"share": {"min": 0.3}}}]
    r = sim.simulate(sim.load_scenario(write(tmp_path, data)), runs=1, seed=0)
    assert r.outcomes["zopa_round"].iloc[0] == 3
    assert 0.78 - 1e-9 <= r.outcomes["terms.share"].iloc[0] <= 0.79 + 1e-9
    del data["actors"]["a"]["triggers"]
    r = sim.simulate(sim.load_scenario(write(tmp_path, data)), runs=1, seed=0)
    assert r.outcomes["zopa_round"].isna().all()


def front_case(p_a: float, **front) -> dict:
    data = two_party(horizon=7, battlefield={"side_a": ["a"], "side_b": ["b"], "p_a": p_a,
                                             "front": {"issue": "share", "start": 0.5, "per_battle": 0.1,
                                                       "a_wins_toward": "hi", **front}})
    data["actors"]["a"]["talks_when"] = "never"
    return data


def test_front_moves_one_step_a_battle_and_relative_red_lines_follow(tmp_path):
    # A wins every battle: the line moves 0.1 a round from 0.5 and stops at the end of the range
    data = front_case(1.0)
    data["actors"]["b"]["red_lines"] = {"share": {"max": {"line": 0.0}}}     # no more than where we stand
    m = model(tmp_path, data)
    run_rounds(m)
    np.testing.assert_allclose(np.array(m.front_history)[:, 0], [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0])
    assert m.worlds.red_hi[0, 1, 0] == pytest.approx(1.0)
    r = sim.simulate(sim.load_scenario(write(tmp_path, data)), runs=1, seed=0)
    np.testing.assert_allclose(r.history["front.share"], [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0])


def test_a_relative_red_line_closes_and_reopens_the_zone_with_the_line(tmp_path):
    # B (losing) gives at most the line + 0.05; A wants at least 0.72: open once the line reaches 0.7
    data = front_case(1.0)
    data["actors"]["b"]["red_lines"] = {"share": {"max": {"line": 0.05}}}
    data["actors"]["a"]["red_lines"] = {"share": {"min": 0.72}}
    opened = [bool(row["zopa_open"][0]) for row in run_rounds(model(tmp_path, data))]
    assert opened == [False, False, True, True, True, True, True, True]


def test_patron_aid_pause_moves_the_odds_by_its_elasticity(tmp_path):
    # B's patron: odds elasticity 0.2, so aid falling from 1 to 0 raises A's chance from 0.5 to 0.7;
    # cost elasticity 0.5: B's costs rise by half
    data = two_party(horizon=3, battlefield={"side_a": ["a"], "side_b": ["b"], "p_a": 0.5})
    data["patrons"] = {"us": {"side": "b", "odds_elasticity": 0.2, "cost_elasticity": 0.5}}
    data["actors"]["b"]["costs"] = {"per_round": 0.1}
    data["actors"]["a"]["talks_when"] = "never"
    data["events"] = [{"date": "2024-03-01", "set": {"patrons.us.aid": 0}}]
    m = model(tmp_path, data, runs=20_000, seed=5)
    np.testing.assert_allclose(dynamics.battle_odds(m.worlds), 0.5)
    m.step()
    wins1 = m.a_wins.copy()
    m.step()                                   # round 2 is dated 2024-03-01: the pause is in force
    np.testing.assert_allclose(dynamics.battle_odds(m.worlds), 0.7)
    share = (m.a_wins - wins1).mean()
    assert abs(share - 0.7) < 4 * np.sqrt(0.7 * 0.3 / 20_000)
    np.testing.assert_allclose(m.actor_agents[1].costs, 0.1 + 0.15)


def test_observed_history_is_replayed_then_simulated(tmp_path):
    data = front_case(0.5)
    data["observed"] = {"until": "2024-04-01", "rounds": [
        {"date": "2024-02-01", "a_wins": 1}, {"date": "2024-03-01", "a_wins": 0, "line": 0.45},
        {"date": "2024-04-01", "a_wins": 1}]}
    m = model(tmp_path, data, runs=500, seed=1)
    net = []                                   # side A's net losses in each round
    while m.running:
        before = m.net_a_losses.copy()
        m.step()
        net.append(m.net_a_losses - before)
    np.testing.assert_array_equal(net[:3], np.array([[-1], [1], [-1]]) * np.ones((3, 500)))
    lines = np.array(m.front_history)
    np.testing.assert_allclose(lines[:4], np.array([[0.5], [0.6], [0.45], [0.55]]) * np.ones((4, 500)))
    assert len(np.unique(lines[-1])) > 1          # simulated after until: worlds part


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["observed"]["rounds"].pop(1), "found no a_wins for the rounds of 2024-03-01"),
    (lambda d: d["observed"]["rounds"][0].update(a_wins=2), "expected at most battles_per_round: 1"),
    (lambda d: d["observed"]["rounds"][0].update(line=3), "expected a value within [0, 1]"),
    (lambda d: d["battlefield"]["front"].update(issue="shar"), "did you mean 'share'"),
    (lambda d: d["actors"]["a"].update(costs={"memory": 2}), "expected a factor in [0, 1]"),
    (lambda d: d.update(patrons={"us": {"side": "c"}}), "patrons.us.side"),
    (lambda d: d["observed"]["rounds"][0].update(aid={"eu": 0.5}), "patron 'eu'"),
])
def test_bad_dynamics_are_reported_with_their_line(tmp_path, edit, expected):
    data = front_case(0.5)
    data["observed"] = {"until": "2024-03-01", "rounds": [{"date": "2024-02-01", "a_wins": 1},
                                                          {"date": "2024-03-01", "a_wins": 0}]}
    edit(data)
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(write(tmp_path, data))
    assert expected in str(err.value)
    assert "case.yaml:" in str(err.value)


def test_relative_red_line_needs_a_front(tmp_path):
    data = two_party()
    data["actors"]["b"]["red_lines"] = {"share": {"max": {"line": 0.0}}}
    with pytest.raises(sim.ScenarioError, match=r"case.yaml:\d+: actors.b.red_lines.share.max: .*front"):
        sim.load_scenario(write(tmp_path, data))


def test_an_ideal_relative_to_the_line_moves_the_deal_with_it(tmp_path):
    # A wants the whole unit; B's ideal is the line + 0.1. A wins the one battle of round 1, so the line goes
    # from 0.5 to 0.6 and B's ideal from 0.6 to 0.7. With no reservations Nash's point is B's ideal c for
    # c >= 1/2 (A's utility x, B's 1 - (x - c)/c for x >= c: the product x (2c - x)/c peaks at x = c), so the
    # deal struck in round 1 is 0.7; had the ideal stayed where it started, it would be 0.6
    data = front_case(1.0)
    data["actors"]["b"]["ideal"] = {"share": {"line": 0.1}}
    data["actors"]["a"]["talks_when"] = {"from": "2024-02-01"}
    r = sim.simulate(sim.load_scenario(write(tmp_path, data)), runs=1, seed=0)
    assert r.outcomes["agreement_round"].iloc[0] == 1
    assert r.outcomes["terms.share"].iloc[0] == pytest.approx(0.7, abs=1e-9)
    data["actors"]["b"]["ideal"] = {"share": 0.6}
    r = sim.simulate(sim.load_scenario(write(tmp_path, data)), runs=1, seed=0)
    assert r.outcomes["terms.share"].iloc[0] == pytest.approx(0.6, abs=1e-9)


def line_case(b_ideal, start: float) -> dict:
    """Three actors on the front's issue x and a second issue y, with a partial deal on y that defers x at
    its status quo; A wins every battle, so the line moves 0.1 a round; weights, A's and C's ideals,
    offsets and reservations are drawn per world. Nobody talks: nothing settles."""
    def actor(ideal_x, w, res):
        return {"weights": {"x": w, "y": 1}, "ideal": {"x": ideal_x, "y": {"uniform": [0, 1]}},
                "reservation": {"uniform": res}, "talks_when": "never"}
    data = {
        "name": "l", "title": "l", "calendar": {"start": "2024-01-01"}, "horizon": 3,
        "issues": {"x": {"range": [0, 1], "status_quo": 0.5}, "y": {"range": [0, 1]}},
        "actors": {"a": actor(1, {"uniform": [0.5, 2]}, [0.2, 0.6]),
                   "b": actor(b_ideal, 2, [0.2, 0.6]),
                   "c": actor({"uniform": [0, 1]}, {"uniform": [0.5, 2]}, [0.1, 0.5])},
        "battlefield": {"side_a": ["a"], "side_b": ["b"], "p_a": 1.0,
                        "front": {"issue": "x", "start": start, "per_battle": 0.1, "a_wins_toward": "hi"}},
        "partial_deals": {"truce": {"issues": ["y"]}},
    }
    data["actors"]["a"]["red_lines"] = {"x": {"min": {"line": -0.1}}}
    return data


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("offset", [-0.45, 0.05, 0.3])
def test_an_ideal_that_follows_the_line_gives_the_zone_of_that_ideal_written_as_a_number(tmp_path, monkeypatch,
                                                                                      offset, method):
    # after two battles the line is at 0.7 and B's ideal at clip(0.7 + offset): every verdict, full and
    # partial (whose deferred issue is the front's), is that of a model starting at 0.7 with that ideal fixed,
    # whichever method the zone uses
    use_method(monkeypatch, method)
    moved = model(tmp_path, line_case({"line": offset}, 0.5), runs=200, seed=4)
    fixed = model(tmp_path, line_case(float(np.clip(0.7 + offset, 0, 1)), 0.7), runs=200, seed=4)
    before = moved.zone.evaluate(moved.reservations(), moved.active).t
    moved.step()
    moved.step()
    np.testing.assert_allclose(moved.worlds.line, 0.7)
    np.testing.assert_allclose(moved.worlds.ideal[:, 1, 0], np.clip(0.7 + offset, 0, 1))
    for m_zone, f_zone, shift in [(moved.zone, fixed.zone, None),
                                  (moved.partial_zones["truce"], fixed.partial_zones["truce"], "truce")]:
        r_m, r_f = moved.reservations(), fixed.reservations()
        if shift:
            r_m = r_m - moved.worlds.partial[shift].deferred_value
            r_f = r_f - fixed.worlds.partial[shift].deferred_value
        assert m_zone.method == f_zone.method == method.split("-")[0]
        v_m, v_f = m_zone.evaluate(r_m, moved.active), f_zone.evaluate(r_f, fixed.active)
        np.testing.assert_allclose(v_m.t, v_f.t, atol=1e-12, rtol=0)
        np.testing.assert_array_equal(v_m.open, v_f.open)
        np.testing.assert_array_equal(v_m.blocking, v_f.blocking)
    assert np.abs(before - fixed.zone.evaluate(fixed.reservations(), fixed.active).t).max() > 1e-3


def test_an_ideal_relative_to_the_line_needs_the_front(tmp_path):
    data = two_party()
    data["actors"]["b"]["ideal"] = {"share": {"line": 0.0}}
    with pytest.raises(sim.ScenarioError, match=r"case.yaml:\d+: actors.b.ideal.share: found an ideal relative "
                                                r"to the line on 'share', expected battlefield.front.issue"):
        sim.load_scenario(write(tmp_path, data))
