"""simulate(), the Mesa model, results on disk and ``zopa run``: reproducible and well formed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zopa import sim
from zopa.sim.cli import main
from tests.cases import run, two_party, write

ROOT = Path(__file__).resolve().parents[1]
DEC = ROOT / "scenarios" / "december-2022.yaml"


@pytest.fixture(scope="module")
def december():
    return sim.load_scenario(DEC)


def test_same_seed_same_tables(december):
    a = sim.simulate(december, runs=300, seed=11)
    b = sim.simulate(december, runs=300, seed=11)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    pd.testing.assert_frame_equal(a.history, b.history)
    c = sim.simulate(december, runs=300, seed=12)
    assert not a.outcomes.equals(c.outcomes)


def test_seed_zero_is_a_seed(december):
    a = sim.simulate(december, runs=50, seed=0)
    b = sim.simulate(december, runs=50, seed=0)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    assert (a.outcomes["seed"] == 0).all()


def test_no_seed_is_recorded_and_replays(december):
    a = sim.simulate(december, runs=40)
    b = sim.simulate(december, runs=40, seed=int(a.outcomes["seed"].iloc[0]))
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)


def test_outcome_and_history_columns(december):
    r = sim.simulate(december, runs=100, seed=1)
    o, h = r.outcomes, r.history
    for col in ["world", "seed", "zopa_round", "talks_round", "agreement_round", "agreed", "blocking",
                "terms.territory", "terms.crimea", "terms.operation_goals", "utility.russia",
                "utility.ukraine", "utility.united_states", "zopa_date", "agreement_date"]:
        assert col in o.columns, col
    assert str(o["zopa_round"].dtype) == "Int64"
    assert any(c.startswith("actors.russia.") for c in o.columns), "sampled parameters are columns"
    assert set(o.loc[o["agreed"], "terms.crimea"]) <= {"russian", "deferred", "ukrainian"}
    for col in ["world", "round", "date", "zopa_open", "zopa_width", "reservation.russia", "talks", "agreed",
                "blocking"]:
        assert col in h.columns, col
    # zopa_round is the first open round in the history
    first_open = h[h["zopa_open"]].groupby("world")["round"].min()
    pd.testing.assert_series_equal(o.set_index("world")["zopa_round"].dropna().astype(int),
                                   first_open.rename("zopa_round"), check_index_type=False)
    # agreement_round is the first round with a deal; a settlement can relapse, so every world is
    # followed to the horizon (december-2022 declares a relapse hazard)
    first_deal = h[h["agreed"]].groupby("world")["round"].min()
    assert o["agreed"].any() and december.relapse is not None
    assert (first_deal.loc[o.loc[o["agreed"], "world"]].to_numpy()
            == o.loc[o["agreed"], "agreement_round"].to_numpy()).all()
    assert (h.groupby("world")["round"].max() == december.horizon).all()


def test_december_2022_has_no_zopa_at_the_start(december):
    """Reuters, 6 Dec 2022: "we don't see them [prospects for talks] at the moment"."""
    r = sim.simulate(december, runs=2000, seed=5)
    h0 = r.history[r.history["round"] == 0]
    assert not h0["zopa_open"].any()
    assert r.outcomes["agreed"].any(), "positions do move: some worlds reach a deal"


def test_mesa_agents_are_the_actors(december):
    m = sim.NegotiationModel(december, runs=20, rng=3)
    assert sorted(a.actor_id for a in m.agents) == sorted(december.actors)
    for _ in range(5):
        m.step()
    frame = m.datacollector.get_model_vars_dataframe()
    assert len(frame) == 6 and frame["round"].tolist() == list(range(6))
    assert frame["zopa_open"].between(0, 1).all()


def test_relabelling_actors_relabels_the_outcome(tmp_path):
    """Swapping the order of A and B swaps their utilities (alternating offers aside: order is the protocol)."""
    data = two_party(reservations=(0.3, 0.1))
    swapped = dict(data, actors={"b": data["actors"]["b"], "a": data["actors"]["a"]})
    r1, r2 = run(tmp_path, data), run(tmp_path, swapped)
    for actor in ("a", "b"):
        assert r1.outcomes[f"utility.{actor}"].iloc[0] == pytest.approx(r2.outcomes[f"utility.{actor}"].iloc[0], abs=1e-12)


def test_columns_do_not_depend_on_seed_or_runs(december):
    """Every sampled parameter is a column, whether or not a world ever used it (shifts included)."""
    cols = {tuple(sim.simulate(december, runs=runs, seed=seed, history=False).outcomes.columns)
            for runs, seed in ((1, 1), (1, 3), (5, 1), (50, 9))}
    assert len(cols) == 1
    assert any(".shifts." in c for c in next(iter(cols)))


def test_blocking_is_empty_exactly_where_a_settlement_holds(december):
    """Blocking is read at the horizon: empty where the settlement holds, named where the world is back at
    war after a relapse (december-2022 declares a relapse hazard)."""
    o = sim.simulate(december, runs=300, seed=4, history=False).outcomes
    holds = o["state"] == "settlement"
    assert holds.any() and (o.loc[holds, "blocking"].map(len) == 0).all()
    assert (o.loc[~holds, "blocking"].map(len) > 0).all()
    assert (o.loc[holds, "agreed"]).all() and (o["agreed"] & ~holds).any(), "some settlements relapse"


def test_an_event_on_the_start_date_is_in_force_at_round_0(tmp_path):
    data = two_party(reservations=(0.7, 0.6), horizon=3)
    data["events"] = [{"date": "2024-01-01", "set": {"actors.a.reservation": 0.3}}]
    r = run(tmp_path, data)
    assert r.outcomes["zopa_round"].iloc[0] == 0
    assert r.history["reservation.a"].iloc[0] == pytest.approx(0.3)


def test_events_change_parameters_on_their_date(tmp_path):
    data = two_party(reservations=(0.7, 0.6), horizon=6)
    data["events"] = [{"date": "2024-04-01", "set": {"actors.a.reservation": 0.3}}]
    r = run(tmp_path, data)
    h = r.history.set_index("round")
    assert h.loc[2, "reservation.a"] == pytest.approx(0.7) and h.loc[3, "reservation.a"] == pytest.approx(0.3)
    assert r.outcomes["zopa_round"].iloc[0] == 3


def test_every_kind_of_event_takes_effect(tmp_path):
    """Each settable path, on its date: war cost, red-line bounds, allowed levels, erosion, battle odds."""
    data = {
        "name": "events", "title": "Events", "calendar": {"start": "2024-01-01"}, "horizon": 4,
        "protocol": "egalitarian",
        "issues": {"x": {"range": [0, 1]}, "lv": {"levels": ["a", "b", "c"]}},
        "battlefield": {"side_a": ["p"], "side_b": ["q"], "p_a": 0.0},
        "actors": {
            "p": {"weights": {"x": 1, "lv": 1}, "ideal": {"x": 1, "lv": "a"}, "talks_when": "never",
                  "reservation": {"war": {"win_probability": 0.6, "cost": 0.1}}},
            "q": {"weights": {"x": 1}, "ideal": {"x": 0}, "reservation": 0.2,
                  "red_lines": {"x": {"max": 0.5}, "lv": {"allowed": ["c"]}}},
        },
        "events": [
            {"date": "2024-02-01", "set": {"actors.p.reservation.war.cost": 0.3, "battlefield.p_a": 1.0}},
            {"date": "2024-03-01", "set": {"actors.q.red_lines.x.max": 0.9, "actors.q.erosion": 0.05}},
            {"date": "2024-04-01", "set": {"actors.q.red_lines.lv.allowed": ["a", "b", "c"]}},
        ],
    }
    r = run(tmp_path, data)
    h = r.history.set_index("round")
    assert h.loc[0, "reservation.p"] == pytest.approx(0.5) and h.loc[1, "reservation.p"] == pytest.approx(0.3)
    assert h.loc[2, "reservation.q"] == pytest.approx(0.15) and h.loc[3, "reservation.q"] == pytest.approx(0.1)
    # with only level c allowed, p gets at most 0.5 x + 0: the width grows once a is allowed (round 3)
    assert h.loc[3, "zopa_width"] > h.loc[2, "zopa_width"] + 0.1
    assert r.outcomes["blocking"].iloc[0] == ()


def test_red_lines_shift_after_setbacks(tmp_path):
    data = two_party(reservations=(0.0, 0.0), horizon=10,
                     battlefield={"side_a": ["a"], "side_b": ["b"], "p_a": 0.0, "battles_per_round": 1})
    data["actors"]["a"]["red_lines"] = {"share": {"min": 0.9}}
    data["actors"]["b"]["red_lines"] = {"share": {"max": 0.5}}
    data["actors"]["a"]["shifts"] = [{"after_setbacks": 3, "red_lines": {"share": {"min": 0.4}}}]
    r = run(tmp_path, data)
    assert r.outcomes["zopa_round"].iloc[0] == 3          # A loses one battle a round
    assert r.outcomes["terms.share"].iloc[0] >= 0.4 - 1e-12


def test_results_round_trip(tmp_path, december):
    r = sim.simulate(december, runs=30, seed=2)
    out = r.save(tmp_path / "res", command="zopa run")
    back = sim.Results.load(out)
    pd.testing.assert_frame_equal(back.outcomes, r.outcomes)
    record = json.loads((out / "record.json").read_text())
    assert record["seed"] == 2 and record["scenario_digest"] == december.digest and record["command"] == "zopa run"
    assert back.scenario is not None and back.scenario.digest == december.digest


def test_zopa_run_twice_is_byte_identical(tmp_path, capsys):
    outs = []
    for name in ("one", "two"):
        assert main(["run", str(DEC), "--runs", "200", "--seed", "7", "--out", str(tmp_path / name)]) == 0
        outs.append(capsys.readouterr().out.replace(str(tmp_path / name), "DIR"))
    assert outs[0] == outs[1]
    assert "ZOPA opens by the horizon" in outs[0]
    assert "most frequent blocker       russia (in 100% of worlds without a deal" in outs[0]
    for f in ("outcomes.parquet", "history.parquet"):
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes()


def test_summary_names_tied_blockers(tmp_path):
    """Red lines that never meet: both actors block in every world, and the summary names the tie."""
    data = two_party(horizon=2)
    data["actors"]["a"]["red_lines"] = {"share": {"min": 0.8}}
    data["actors"]["b"]["red_lines"] = {"share": {"max": 0.5}}
    from zopa.sim.results import summary_text
    text = summary_text(run(tmp_path, data, runs=20, seed=1))
    assert "most frequent blocker       a and b (each in 100% of worlds without a deal at the horizon)" in text


def test_zopa_run_bad_input_is_a_message_not_a_traceback(tmp_path, capsys):
    bad = write(tmp_path, {**two_party(), "horizon": "soon"})
    assert main(["run", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "horizon" in err and "Traceback" not in err
    assert main(["run", str(DEC), "--set", "actors.russia.erosion=lots"]) == 1
    assert "actors.russia.erosion" in capsys.readouterr().err


@pytest.mark.parametrize("argv, expected", [
    (["--set", "issues.share.range=[1,0]"], "--set: issues.share: found range [1.0, 0.0]"),
    (["--set", "calendar.start=2024-13-01"], "--set: calendar.start: found '2024-13-01'"),
    (["--seed", "-1"], "seed: found -1, expected a whole number >= 0"),
])
def test_bad_run_options_are_named(argv, expected, capsys):
    assert main(["run", str(ROOT / "scenarios" / "split-the-pie.yaml"), *argv]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_loading_an_incomplete_results_directory_names_the_missing_file(tmp_path):
    (tmp_path / "record.json").write_text("{}")
    with pytest.raises(ValueError, match="found no outcomes.parquet"):
        sim.Results.load(tmp_path)


def test_runs_must_be_positive(december):
    with pytest.raises(ValueError, match="runs"):
        sim.simulate(december, runs=0)


def test_every_scenario_runs():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        r = sim.simulate(sim.load_scenario(path), runs=20, seed=1)
        assert len(r.outcomes) == 20 and r.history["round"].min() == 0
        assert np.isfinite(r.outcomes.loc[r.outcomes["agreed"], [c for c in r.outcomes if c.startswith("utility.")]]).all().all()
