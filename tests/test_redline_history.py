"""Red lines and triggers in force, round by round, in the history; and observations that read them."""

import numpy as np
import pytest

from zopa import sim
from zopa.analysis.backtest import score_answers
from zopa.analysis.observed import answers
from zopa.sim.scenario.load import load_scenario_text
from zopa.sim.scenario.observations import load_observations

# Monthly rounds from 1 January 2024: the trigger fires in round 2 (1 March), the event in round 3 (1 April).
SCENARIO = """
name: moving-lines
title: "A red line that a trigger widens on 1 March and one an event sets on 1 April"
calendar: {start: 2024-01-01, step: month}
horizon: 4
issues:
  share: {range: [0, 1]}
  mode: {levels: [x, y, z]}
actors:
  a:
    weights: {share: 0.5, mode: 0.5}
    ideal: {share: 1, mode: x}
    reservation: 0.0
    talks_when: never
    red_lines:
      share: {max: 0.2}
      mode: {allowed: [x]}
    triggers:
      - name: soften
        when: {from: 2024-03-01}
        red_lines:
          share: {max: 0.6}
          mode: {allowed: [x, y]}
  b:
    weights: {share: 1, mode: 0}
    ideal: {share: 0, mode: z}
    reservation: 0.0
    talks_when: never
  c:
    weights: {share: 1, mode: 0}
    ideal: {share: 0, mode: z}
    reservation: 0.0
    talks_when: never
events:
  - date: 2024-04-01
    set: {actors.b.red_lines.share.min: 0.1}
"""


def _item(**fields) -> str:
    fields = {"question": "q", "evidence": "{source: s, quote: q}", **fields}
    return "  - " + "\n    ".join(f"{k}: {v}" for k, v in fields.items()) + "\n"


@pytest.fixture(scope="module")
def moving():
    return sim.simulate(load_scenario_text(SCENARIO), runs=3, seed=1, history=True)


def _by_round(history, column):
    return history.groupby("round")[column].agg(lambda v: tuple(v.unique())).tolist()


def test_a_trigger_moves_the_red_line_columns_at_its_round(moving):
    h = moving.history
    assert _by_round(h, "red_lines.a.share.max") == [(0.2,)] * 2 + [(0.6,)] * 3
    assert _by_round(h, "red_lines.a.mode.allowed") == [(1,)] * 2 + [(2,)] * 3
    assert _by_round(h, "red_lines.a.mode.allowed.y") == [(False,)] * 2 + [(True,)] * 3
    assert _by_round(h, "red_lines.a.mode.allowed.z") == [(False,)] * 5
    assert _by_round(h, "trigger.a.soften") == [(False,)] * 2 + [(True,)] * 3


def test_an_event_sets_a_bound_and_a_bound_at_the_issue_end_reads_nan(moving):
    h = moving.history
    got = _by_round(h, "red_lines.b.share.min")
    assert all(np.isnan(v[0]) for v in got[:3]) and got[3:] == [(0.1,)] * 2
    # only the bounds the scenario sets get a column: a has no floor on share, c no red line at all
    assert "red_lines.a.share.min" not in h and not [c for c in h if c.startswith("red_lines.c.")]


def test_no_history_keeps_no_positions():
    res = sim.simulate(load_scenario_text(SCENARIO), runs=2, seed=1, history=False)
    assert res.history is None


def test_observations_read_the_red_lines_and_are_scored(tmp_path, moving):
    body = (_item(id="narrow-in-feb", kind="event", reads="history.red_lines.a.share.max", by="2024-02-15",
                  where="{above: 0.5}", observed="false")
            + _item(id="wide-in-mar", kind="event", reads="history.red_lines.a.share.max", by="2024-03-15",
                    where="{above: 0.5}", observed="true")
            + _item(id="y-allowed", kind="event", reads="history.red_lines.a.mode.allowed.y", by="2024-03-01",
                    observed="true")
            + _item(id="two-levels", kind="event", reads="history.red_lines.a.mode.allowed", by="2024-02-01",
                    where="{equals: 2}", observed="true")
            + _item(id="in-force", kind="event", reads="history.trigger.a.soften", by="2024-02-29",
                    observed="false"))
    path = tmp_path / "obs.yaml"
    path.write_text("name: t\ntitle: t\nsources: {s: {title: s}}\nobservations:\n" + body)
    obs = load_observations(path)
    found = answers(obs, moving)
    assert [bool(a.values.all()) for a in found] == [False, True, True, False, False]
    assert [bool(a.values.any()) for a in found] == [False, True, True, False, False]
    table = score_answers(found, obs)
    brier = table.query("forecaster == 'model' and score == 'brier'").set_index("observation")["value"]
    # every world moved on 1 March: right on four, and wrong (forecast 0, observed 1) on "two-levels"
    assert brier.to_dict() == {"narrow-in-feb": 0.0, "wide-in-mar": 0.0, "y-allowed": 0.0,
                               "two-levels": 1.0, "in-force": 0.0}


def test_a_levels_red_line_written_as_min_is_kept_as_its_allowed_levels(tmp_path):
    """Found by the property test: ``min: <level>`` on a levels issue is a set of allowed levels."""
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\ntitle: t\ncalendar: {start: 2000-01-01, step: day}\nhorizon: 1\nprotocol: nash\n"
        "issues:\n  i: {levels: [low, high]}\n"
        "actors:\n  a: {weights: {i: 1.0}, ideal: {i: low}, reservation: 0.0}\n"
        "  b: {weights: {i: 1.0}, ideal: {i: low}, reservation: 0.0, red_lines: {i: {min: low}}}\n")
    h = sim.simulate(sim.load_scenario(path), runs=2, seed=0).history
    assert "red_lines.b.i.allowed" in h.columns and "red_lines.b.i.min" not in h.columns
    assert (h["red_lines.b.i.allowed"] == 2).all()
