"""Backtests: each observation read from the right column and date, scored, and the same seed gives the same scores."""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zopa import sim
from zopa.analysis.backtest import backtest, score_answers, summary_text
from zopa.analysis.observed import answers, world_answers
from zopa.sim.cli import main
from zopa.sim.scenario.errors import ScenarioError
from zopa.sim.scenario.observations import load_observations

ROOT = Path(__file__).resolve().parents[1]
BETA = ROOT / "tests" / "data" / "beta-battles.yaml"
BETA_OBS = ROOT / "tests" / "data" / "beta-battles-observations.yaml"
PIE = ROOT / "scenarios" / "split-the-pie.yaml"
DEC = ROOT / "scenarios" / "december-2022.yaml"
DEC_OBS = ROOT / "scenarios" / "observations" / "december-2022.yaml"


def _obs(tmp_path, body: str):
    path = tmp_path / "obs.yaml"
    path.write_text("name: t\ntitle: t\nsources: {s: {title: s}}\nobservations:\n" + body)
    return load_observations(path)


def _item(**fields) -> str:
    fields = {"question": "q", "evidence": "{source: s, quote: q}", **fields}
    return "  - " + "\n    ".join(f"{k}: {v}" for k, v in fields.items()) + "\n"


@pytest.fixture(scope="module")
def pie():
    return sim.simulate(sim.load_scenario(PIE), runs=5, seed=0, history=True)


def test_answers_read_rounds_dates_and_history(tmp_path, pie):
    # split-the-pie: a deal in round 0 (2024-01-01) in every world; weekly rounds
    body = (_item(id="deal", kind="event", reads="agreement_round", by="2024-01-01", observed="true")
            + _item(id="later", kind="event", reads="agreement_round", **{"from": "2024-01-02"},
                    by="2024-02-01", observed="false")
            + _item(id="when", kind="date", reads="agreement_round", observed="2024-01-01",
                    censored_at="2024-01-20")
            + _item(id="share", kind="quantity", reads="terms.share", observed=0.4)
            + _item(id="open", kind="quantity", reads="history.zopa_width", at="2024-03-01", observed=0.0))
    found = answers(_obs(tmp_path, body), pie)
    assert found[0].values.all() and not found[1].values.any()
    # censored at 20 January: rounds 0..2 (1, 8, 15 Jan) and "after": every world in round 0
    assert found[2].categories == 4 and found[2].observed == 0 and (found[2].values == 0).all()
    assert np.allclose(found[3].values, 0.5)
    # history stops at the deal: the value read on 1 March is the last one, at round 0
    assert np.allclose(found[4].values, pie.history.loc[pie.history["round"] == 0, "zopa_width"])


def test_event_from_a_history_flag_and_a_where_test(tmp_path):
    results = sim.simulate(sim.load_scenario(BETA), runs=30, seed=3, history=True)
    body = (_item(id="talks", kind="event", reads="history.talks", by="2024-03-01", observed="false")
            + _item(id="hopeful", kind="event", reads="history.reservation.a", by="2024-03-01",
                    where="{above: 0.5}", observed="true"))
    talks, hopeful = answers(_obs(tmp_path, body), results)
    assert not talks.values.any()
    last = results.history[results.history["round"] == 2].set_index("world")["reservation.a"]
    assert np.array_equal(hopeful.values, (last > 0.5).to_numpy())


def test_a_column_the_model_lacks_is_a_located_problem(tmp_path, pie):
    obs = _obs(tmp_path, _item(id="cf", kind="event", reads="ceasefire_round", by="2024-02-01", observed="false"))
    with pytest.raises(ScenarioError, match=r"obs.yaml:9: observations.0.reads: found column 'ceasefire_round', "
                                            r"expected a column of the model's outcomes: .*agreement_round"):
        world_answers(obs, 0, pie)
    early = _obs(tmp_path, _item(id="e", kind="event", reads="zopa_round", by="2023-01-01", observed="false"))
    with pytest.raises(ScenarioError, match=r"observations.0.by: found 2023-01-01, before the scenario's start"):
        world_answers(early, 0, pie)


def test_a_new_column_is_read_without_code_changes(tmp_path, pie):
    pie.outcomes["ceasefire_round"] = pd.array([0, 1, None, None, 3], dtype="Int64")
    obs = _obs(tmp_path, _item(id="cf", kind="event", reads="ceasefire_round", by="2024-01-08", observed="true"))
    assert list(world_answers(obs, 0, pie).values) == [True, True, False, False, False]
    del pie.outcomes["ceasefire_round"]


def test_scores_of_a_hand_made_ensemble(tmp_path, pie):
    body = (_item(id="deal", kind="event", reads="agreement_round", by="2024-01-01", observed="true",
                  persistence="false")
            + _item(id="when", kind="date", reads="agreement_round", observed="null", censored_at="2024-01-20"))
    obs = _obs(tmp_path, body)
    table = score_answers(answers(obs, pie), obs)
    get = lambda o, f, s: table.query("observation == @o and forecaster == @f and score == @s")["value"].item()
    assert get("deal", "model", "brier") == 0.0              # every world agreed: P = 1, and it happened
    assert get("deal", "persistence", "brier") == 1.0
    assert get("deal", "climatology", "brier") == 0.0        # the file's one event happened: P = 1
    # every world agreed in round 0, but the record says not by the censoring date: 3 categories off
    assert get("when", "model", "rps") == 3.0
    assert get("when", "persistence", "rps") == 0.0


def test_same_seed_same_scores_and_the_command(tmp_path, capsys):
    a = backtest([BETA], BETA_OBS, runs=60, seed=7)
    b = backtest([BETA], BETA_OBS, runs=60, seed=7)
    pd.testing.assert_frame_equal(a.table, b.table)
    out = tmp_path / "bt"
    assert main(["backtest", str(BETA), "--observations", str(BETA_OBS), "--runs", "60", "--seed", "7",
                 "--out", str(out)]) == 0
    assert summary_text(a) in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_parquet(out / "scores.parquet"), a.table)
    assert (out / "reliability.png").stat().st_size > 0


def test_december_2022_on_what_followed_small_ensemble():
    result = backtest([DEC], DEC_OBS, runs=40, seed=1)
    model = result.table[result.table["forecaster"] == "model"]
    assert set(model["observation"]) == {o.id for o in load_observations(DEC_OBS).observations}
    no_zone = model.query("observation == 'no-zone-at-start' and score == 'brier'")
    assert no_zone["forecast"].item() == 0.0           # the scenario has no zone in any world at the start
    assert set(result.summary["score"]) == {"brier", "log", "rps"}
    late = backtest([DEC], DEC_OBS, runs=40, seed=1, after=dt.date(2024, 12, 31))
    assert set(late.table["observation"]) == {"direct-talks-by-mid-2025", "no-zone-by-march-2026",
                                              "no-deal-by-march-2026", "first-direct-talks", "first-settlement",
                                              "settlement-by-mid-2026", "settlement-by-end-2026",
                                              "russia-narrows-by-august-2025", "ukraine-drops-nato-bid-2025",
                                              "ukraine-first-territorial-concession-2025"}


def test_bad_command_input_is_one_line(tmp_path, capsys):
    assert main(["backtest", str(BETA), "--observations", str(tmp_path / "none.yaml")]) == 1
    assert "cannot read file" in capsys.readouterr().err


def test_held_out_scores_of_accepted_worlds(tmp_path):
    from zopa.analysis.backtest import score_held_out
    from zopa.analysis.calibrate import calibrate

    cal = calibrate(DEC, DEC_OBS, runs=60, seed=2, until=dt.date(2024, 12, 31), min_ess=0)
    assert cal.fit == ["no-zone-at-start", "no-direct-talks-2023-2024", "no-deal-by-end-2024",
                       "russia-demand-unchanged-june-2024"]
    result = score_held_out(cal, after=dt.date(2024, 12, 31))
    assert set(result.table["observation"]) == {"direct-talks-by-mid-2025", "no-zone-by-march-2026",
                                                "no-deal-by-march-2026", "first-direct-talks", "first-settlement",
                                                "settlement-by-mid-2026", "settlement-by-end-2026",
                                                "russia-narrows-by-august-2025", "ukraine-drops-nato-bid-2025",
                                                "ukraine-first-territorial-concession-2025"}
    deal = cal.results.outcomes["agreement_date"] <= pd.Timestamp("2026-03-05")
    for label, mask in (("prior worlds", np.ones(60, dtype=bool)), ("accepted worlds", cal.accepted)):
        row = result.table.query("scenario.str.endswith(@label + ')') and observation == 'no-deal-by-march-2026' "
                                 "and forecaster == 'model' and score == 'brier'", engine="python")
        assert row["forecast"].item() == pytest.approx(deal[mask].mean())


@pytest.mark.parametrize("fields, message", [
    (dict(kind="event", reads="agreed", by="2024-02-01", observed="true"),
     "found 'agreed' of type bool, expected a round column such as agreement_round"),
    (dict(kind="event", reads="history.zopa_width", by="2024-02-01", observed="true"),
     "found 'history.zopa_width' of type float64, expected a yes/no history column"),
    (dict(kind="quantity", reads="blocking", observed=0.5),
     r"found 'blocking' of type \w+, expected a numeric column for a quantity"),
])
def test_a_column_of_the_wrong_kind_is_a_located_problem(tmp_path, pie, fields, message):
    obs = _obs(tmp_path, _item(id="x", **fields))
    with pytest.raises(ScenarioError, match=r"obs.yaml:9: observations.0.reads: " + message):
        world_answers(obs, 0, pie)


def test_pending_observations_are_forecast_not_scored(tmp_path, pie):
    body = (_item(id="done", kind="event", reads="agreement_round", by="2024-01-01", observed="true")
            + _item(id="later", kind="event", reads="agreement_round", by="2024-02-01", observed="null")
            + _item(id="size", kind="quantity", reads="terms.share", observed="null"))
    obs = _obs(tmp_path, body)
    assert [o.pending for o in obs.observations] == [False, True, True]
    table = score_answers(answers(obs, pie), obs)
    later = table[table["observation"] == "later"]
    assert list(later["forecaster"]) == ["model"] and list(later["score"]) == ["pending"]
    assert later["forecast"].item() == 1.0 and later["value"].isna().all()
    assert table.query("observation == 'size'")["forecast"].item() == pytest.approx(0.5)
    table.insert(0, "scenario", "pie")
    from zopa.analysis.backtest import summary_table
    assert summary_table(table)["observations"].tolist() == [1, 1]     # brier and log of "done" only


def test_several_scenarios_on_one_file_each_scored_and_recorded():
    result = backtest([BETA, PIE], BETA_OBS, runs=20, seed=3)
    assert list(result.summary["scenario"].unique()) == [str(BETA), str(PIE)]
    assert set(result.record["scenario_digests"]) == {str(BETA), str(PIE)}
    assert len(result.record["observations_digest"]) == 64
    pie = str(PIE)
    pie_deal = result.table.query("scenario == @pie and observation == 'no-deal' and score == 'brier' "
                                  "and forecaster == 'model'")
    assert pie_deal["forecast"].item() == 1.0       # split-the-pie agrees at once in every world
