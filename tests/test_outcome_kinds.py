"""Beyond one settlement: talks that fail, partial deals, guarantees and relapse, with worked answers."""

import textwrap

import numpy as np
import pytest

from zopa import sim

BASE = """
name: kinds
title: outcome kinds
calendar: {start: 2024-01-01, step: month}
"""


def load(tmp_path, body: str, name="s.yaml"):
    path = tmp_path / name
    path.write_text(BASE + textwrap.dedent(body))
    return sim.load_scenario(path)


CLASH = """
horizon: 5
issues: {x: {range: [0, 1], status_quo: 0.5}, y: {range: [0, 1], status_quo: 0.5}}
actors:
  a: {weights: {x: 0.5, y: 0.5}, ideal: {x: 1, y: 1}, reservation: 0.3, red_lines: {x: {min: 0.6}}}
  b: {weights: {x: 0.5, y: 0.5}, ideal: {x: 0, y: 0}, reservation: 0.3, red_lines: {x: {max: 0.4}}}
"""


def test_talks_are_held_and_fail_every_round_when_no_zone_exists(tmp_path):
    # Red lines 0.6 and 0.4 on x leave no outcome; both always talk: rounds 0..5 are six failed rounds.
    out = sim.simulate(load(tmp_path, CLASH), runs=3, seed=0).outcomes
    assert out["talks_round"].tolist() == [0, 0, 0]
    assert out["talks_held"].tolist() == [6, 6, 6]
    assert out["failed_talks"].tolist() == [6, 6, 6]
    assert not out["agreed"].any()
    assert out["agreement_round"].isna().all()
    assert (out["state"] == "talks").all()


def test_fatigue_a_talks_condition_on_failed_rounds(tmp_path):
    # b walks away once two rounds of talks have failed: talks in rounds 0 and 1 only.
    body = CLASH.replace("red_lines: {x: {max: 0.4}}}",
                         "red_lines: {x: {max: 0.4}}, talks_when: {not: {failed_talks_at_least: 2}}}")
    out = sim.simulate(load(tmp_path, body), runs=2, seed=0)
    assert out.outcomes["talks_held"].tolist() == [2, 2]
    states = out.history[out.history["world"] == 0]["state"].tolist()
    assert states == ["talks", "talks", "fighting", "fighting", "fighting", "fighting"]


def test_a_mediator_pressing_opens_talks(tmp_path):
    body = CLASH.replace("red_lines: {x: {max: 0.4}}}",
                         "red_lines: {x: {max: 0.4}}, talks_when: {mediation_at_least: 0.5}}") + """
events:
  - {date: 2024-04-01, set: {mediation: 1.0}}
"""
    out = sim.simulate(load(tmp_path, body), runs=1, seed=0).outcomes
    assert out["talks_round"].tolist() == [3]          # April is round 3
    assert out["talks_held"].tolist() == [3]           # rounds 3, 4, 5


TRUCE = CLASH + """
battlefield: {side_a: [a], side_b: [b], p_a: 0.5, battles_per_round: 2}
partial_deals:
  truce: {issues: [y], battles: 0.0, erosion: 0.0}
"""


def test_a_partial_deal_on_one_issue_while_the_full_zone_stays_closed(tmp_path):
    # The x red lines clash, so no settlement. On y alone, with x deferred at its status quo 0.5, each actor
    # gets 0.5 * (1 - 0.5) = 0.25 from x, so a needs 0.25 + 0.5 y >= 0.3 (y >= 0.1) and b needs
    # 0.25 + 0.5 (1 - y) >= 0.3 (y <= 0.9): a zone. Nash (1950): max (0.5 y - 0.05)(0.45 - 0.5 y), y = 0.5.
    scenario = load(tmp_path, TRUCE)
    model = sim.NegotiationModel(scenario, runs=4, rng=1)
    model.run_model()
    out = sim.simulate(scenario, runs=4, seed=1).outcomes
    assert out["partial_round"].tolist() == [0] * 4
    assert out["partial_deal"].tolist() == ["truce"] * 4
    np.testing.assert_allclose(out["partial_terms.y"], 0.5, atol=1e-9)
    assert out["partial_terms.x"].isna().all()            # x is deferred, not agreed
    assert not out["agreed"].any() and out["zopa_round"].isna().all()
    assert (out["state"] == "partial").all()
    # the truce stops the battles: none is fought after round 0
    assert model.fought.tolist() == [0.0] * 4


def test_without_the_truce_the_same_worlds_fight_on(tmp_path):
    model = sim.NegotiationModel(load(tmp_path, TRUCE.split("partial_deals:")[0]), runs=4, rng=1)
    model.run_model()
    assert model.fought.tolist() == [10.0] * 4            # 2 battles a round for 5 rounds


PIE = """
horizon: 10
issues:
  share: {range: [0, 1]}
  force: {levels: [none, monitors]}
actors:
  a: {weights: {share: 0.8, force: 0.2}, ideal: {share: 1, force: monitors}, reservation: 0.0}
  b: {weights: {share: 0.8, force: 0.2}, ideal: {share: 0, force: monitors}, reservation: 0.0}
relapse:
  hazard: 0.05
"""


@pytest.mark.parametrize("guarantee, h", [("", 0.05), ("  guarantee: {issue: force, factor: {none: 1.0, monitors: 0.5}}\n",
                                                       0.025)])
def test_relapse_rate_matches_its_closed_form(tmp_path, guarantee, h):
    # Settled in round 0, a world relapses in each later round with probability h: by round 10,
    # P(at least one relapse) = 1 - (1 - h)^10. (With monitors agreed the guarantee halves h, Walter 2002.)
    out = sim.simulate(load(tmp_path, PIE + guarantee), runs=20000, seed=3, history=False).outcomes
    assert (out["agreement_round"] == 0).all()
    expected = 1 - (1 - h) ** 10
    share = float(out["relapse_round"].notna().mean())
    se = np.sqrt(expected * (1 - expected) / 20000)
    assert abs(share - expected) < 4 * se, (share, expected)
    # both always talk and the zone is open, so a relapsed world settles again in the round it broke down
    assert out["agreed"].all()
    assert out["relapses"].mean() == pytest.approx(10 * h, abs=4 * np.sqrt(10 * h / 20000))


def test_a_relapse_puts_the_world_back_to_war_in_the_history(tmp_path):
    body = PIE.replace("hazard: 0.05", "hazard: 1.0").replace("horizon: 10", "horizon: 3") \
        .replace("b: {weights", "b: {talks_when: {from: 2024-03-01}, weights")
    hist = sim.simulate(load(tmp_path, body), runs=1, seed=0).history
    # b talks from March (round 2): settlement in round 2, which breaks down at once in round 3
    assert hist["state"].tolist() == ["fighting", "fighting", "settlement", "relapse"]


GUARANTEE = """
horizon: 1
issues:
  x: {range: [0, 1]}
  security: {levels: [none, guarantee]}
actors:
  a: {weights: {x: 1}, ideal: {x: 1}, reservation: 0.5}
  b: {weights: {x: 0.5, security: 0.5}, ideal: {x: 0, security: guarantee}, reservation: 0.6}
"""


def test_a_guarantee_opens_a_zone_that_is_closed_without_it(tmp_path):
    # Without the guarantee b gets at most 0.5 (x = 0) < 0.6: closed. With it, b gets 0.5 + 0.5 (1 - x) >= 0.6
    # for x <= 0.8 and a needs x >= 0.5: open. a can veto the guarantee with a red line.
    open_ = sim.simulate(load(tmp_path, GUARANTEE), runs=1, seed=0).outcomes
    assert open_["zopa_round"].tolist() == [0] and open_["terms.security"].tolist() == ["guarantee"]
    assert 0.5 - 1e-9 <= open_["terms.x"][0] <= 0.8 + 1e-9
    vetoed = GUARANTEE.replace("reservation: 0.5}", "reservation: 0.5, red_lines: {security: {allowed: [none]}}}")
    closed = sim.simulate(load(tmp_path, vetoed, "v.yaml"), runs=1, seed=0).outcomes
    assert closed["zopa_round"].isna().all()


@pytest.mark.parametrize("body, path, words", [
    (CLASH.replace("status_quo: 0.5}, y", "}, y") + "partial_deals: {truce: {issues: [y]}}\n",
     "issues.x", "found no status_quo"),
    (CLASH + "partial_deals: {truce: {issues: [z]}}\n", "partial_deals.truce.issues.0", "found issue 'z'"),
    (CLASH + "partial_deals: {truce: {issues: [x, y]}}\n", "partial_deals.truce.issues", "expected a subset"),
    (CLASH.replace("status_quo: 0.5}, y", "status_quo: 2}, y"), "issues.x.status_quo", "expected a number in [0, 1]"),
    (PIE + "  guarantee: {issue: share, factor: {none: 1}}\n", "relapse.guarantee.issue", "expected a levels issue"),
    (PIE + "  guarantee: {issue: force, factor: {none: 1}}\n", "relapse.guarantee.factor", "a factor for each of"),
    (PIE.replace("hazard: 0.05", "hazard: 1.5"), "relapse.hazard", "expected a probability"),
])
def test_bad_outcome_kind_settings_are_located_errors(tmp_path, body, path, words):
    with pytest.raises(sim.ScenarioError) as err:
        load(tmp_path, body)
    problems = [p for p in err.value.problems if p.path == path]
    assert problems and words in problems[0].message, err.value
    assert problems[0].line is not None and problems[0].file.endswith("s.yaml")
