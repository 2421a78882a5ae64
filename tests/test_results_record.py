"""Results describe themselves: reloading and redrawing need neither the YAML nor the folder of the run."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zopa import analysis, sim
from zopa.sim.cli import main
from zopa.sim.scenario import load_scenario_text

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / "scenarios" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCENARIOS / name, target)
    return target


def test_a_run_saved_with_set_reloads_with_its_override(tmp_path, monkeypatch, capsys):
    scenario = _copy(tmp_path, "split-the-pie.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "scenarios/split-the-pie.yaml", "--runs", "5", "--seed", "1",
                 "--set", "protocol=alternating-offers", "--out", "run"]) == 0
    scenario.unlink()                      # nothing left to re-read
    monkeypatch.chdir(ROOT)
    loaded = sim.Results.load(tmp_path / "run")
    assert loaded.scenario.protocol == "alternating-offers"
    assert loaded.scenario.overrides == {"protocol": "alternating-offers"}
    assert loaded.record["overrides"] == {"protocol": "alternating-offers"}
    assert loaded.scenario.file == str(scenario)           # where it was, as an absolute path
    fresh = sim.load_scenario(SCENARIOS / "split-the-pie.yaml", {"protocol": "alternating-offers"})
    assert loaded.scenario.digest == fresh.digest
    assert loaded.scenario.model_dump(exclude={"file"}) == fresh.model_dump(exclude={"file"})
    assert "alternating-offers" in capsys.readouterr().out


def test_the_record_holds_what_reading_and_redrawing_need(tmp_path):
    scenario = sim.load_scenario(SCENARIOS / "december-2022.yaml", {"actors.russia.erosion": 0.004})
    results = sim.simulate(scenario, runs=4, seed=9)
    results.save(tmp_path, command="zopa run")
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["overrides"] == {"actors.russia.erosion": 0.004}
    assert record["scenario_file"] == str((SCENARIOS / "december-2022.yaml").resolve())
    assert record["scenario_digest"] == scenario.digest
    assert load_scenario_text(record["scenario_text"]).digest == scenario.digest  # overrides applied
    colors = sim.actor_colors(scenario)
    assert record["actors"] == {a: {"label": spec.label or a, "color": colors[a]}
                                for a, spec in scenario.actors.items()}
    for name, issue in scenario.issues.items():
        saved = record["issues"][name]
        assert saved["kind"] == ("levels" if issue.is_levels else "range")
        assert (saved["unit"], saved["description"]) == (issue.unit, issue.description)
        assert saved["levels"] == (list(issue.levels) if issue.is_levels else None)
    assert any(i["kind"] == "levels" for i in record["issues"].values())
    assert record["calendar"] == {"start": scenario.calendar.start.isoformat(), "step": scenario.calendar.step,
                                  "horizon": scenario.horizon, "end": results.outcomes.attrs["end_date"]}
    assert (record["seed"], record["spawn_key"], record["runs"]) == (9, "", 4)
    assert set(record["versions"]) >= {"zopa", "numpy", "scipy", "pandas", "mesa", "pyarrow", "pydantic"}
    assert all(record["versions"][k] for k in ("zopa", "numpy", "pandas", "pydantic"))
    assert record["platform"] and record["command"] == "zopa run"
    created = dt.datetime.fromisoformat(record["created"])
    assert created.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.timezone.utc) - created) < dt.timedelta(hours=1)


def test_result_files_are_readable_by_others(tmp_path, umask_022):
    results = sim.simulate(sim.load_scenario(SCENARIOS / "split-the-pie.yaml"), runs=3, seed=0)
    results.save(tmp_path / "run")
    files = sorted((tmp_path / "run").iterdir())
    assert [f.name for f in files] == ["history.parquet", "outcomes.parquet", "record.json"]
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f.name
    analysis.sweep(SCENARIOS / "split-the-pie.yaml", {"actors.a.erosion": [0.0]}, runs=2, executor="serial",
                   out=tmp_path / "sweep")
    files = [f for f in (tmp_path / "sweep").rglob("*") if f.is_file()]
    assert any(f.parent.name == "chunks" for f in files)
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f.name
    assert stat.S_IMODE((tmp_path / "sweep" / "chunks").stat().st_mode) == 0o755


def test_a_changed_scenario_file_is_named_once_and_the_saved_copy_used(tmp_path):
    scenario = _copy(tmp_path, "split-the-pie.yaml")
    sim.simulate(sim.load_scenario(scenario), runs=3, seed=0).save(tmp_path / "run")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.Results.load(tmp_path / "run")
    assert caught == []                                           # unchanged: nothing to say
    scenario.write_text(scenario.read_text().replace("protocol: nash", "protocol: egalitarian")
                        .replace("horizon: 12", "horizon: 3"))
    assert sim.load_scenario(scenario).horizon == 3
    with pytest.warns(sim.ScenarioWarning, match="changed since") as caught:
        loaded = sim.Results.load(tmp_path / "run")
    assert len(caught) == 1 and str(scenario) in str(caught[0].message)
    assert loaded.scenario.horizon == 12 and loaded.scenario.protocol == "nash"


def test_zopa_plot_says_when_the_scenario_changed(tmp_path, capsys):
    scenario = _copy(tmp_path, "split-the-pie.yaml")
    assert main(["run", str(scenario), "--runs", "3", "--seed", "0", "--out", str(tmp_path / "run")]) == 0
    scenario.write_text(scenario.read_text().replace("horizon: 12", "horizon: 5"))
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "run"), "--kind", "survival"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("zopa: warning: ") and "changed since" in err[0]


def _pngs(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.png"))}


def test_zopa_plot_draws_the_same_figures_from_any_folder(tmp_path, monkeypatch, capsys):
    """A run made with a relative scenario path; ``zopa plot`` from a folder where that path names
    another scenario, and from one where it names nothing, draws the figures ``zopa run`` drew."""
    made, elsewhere, empty = tmp_path / "made", tmp_path / "elsewhere", tmp_path / "empty"
    _copy(made, "december-2022.yaml")
    decoy = _copy(elsewhere, "wage-talks.yaml")
    decoy.rename(decoy.with_name("december-2022.yaml"))
    empty.mkdir()
    monkeypatch.chdir(made)
    assert main(["run", "scenarios/december-2022.yaml", "--runs", "30", "--seed", "3",
                 "--set", "actors.russia.erosion=0.004", "--out", "run"]) == 0
    drawn = _pngs(made / "run")
    assert sorted(drawn) == ["survival.png", "terms.png", "timeline.png", "utilities.png"]
    for folder in (elsewhere, empty):
        monkeypatch.chdir(folder)
        assert main(["plot", str(made / "run"), "--out", "figures"]) == 0
        assert _pngs(folder / "figures") == drawn, folder.name
    assert capsys.readouterr().err == ""


def test_zopa_plot_of_a_sweep_is_the_same_from_any_folder(tmp_path, monkeypatch):
    made, elsewhere = tmp_path / "made", tmp_path / "elsewhere"
    _copy(made, "split-the-pie.yaml")
    elsewhere.mkdir()
    monkeypatch.chdir(made)
    assert main(["sweep", "scenarios/split-the-pie.yaml", "--vary", "actors.a.erosion=0:0.05:2",
                 "--vary", "protocol=nash,alternating-offers", "--runs", "3", "--executor", "serial",
                 "--out", "sweep"]) == 0
    (made / "scenarios" / "split-the-pie.yaml").unlink()
    monkeypatch.chdir(elsewhere)
    assert main(["plot", str(made / "sweep"), "--out", "figures"]) == 0
    assert _pngs(elsewhere / "figures") == _pngs(made / "sweep") != {}
    loaded = analysis.Sweep.load(made / "sweep")
    assert loaded.scenario is not None and loaded.config["base"]["actors"]["a"]["label"]


def test_figures_of_reloaded_results_equal_those_of_the_run(tmp_path):
    """The figures read labels, colours, units, levels and dates from the record, so results
    loaded from disk, with or without their scenario object, draw the same bytes."""
    from zopa.analysis.figures import write_figures
    results = sim.simulate(sim.load_scenario(SCENARIOS / "wage-talks.yaml"), runs=20, seed=4)
    results.save(tmp_path / "run")
    write_figures(results, tmp_path / "live")
    loaded = sim.Results.load(tmp_path / "run")
    write_figures(loaded, tmp_path / "loaded")
    loaded.scenario = None
    write_figures(loaded, tmp_path / "bare")
    assert _pngs(tmp_path / "live") == _pngs(tmp_path / "loaded") == _pngs(tmp_path / "bare") != {}


def test_results_from_an_older_record_still_load(tmp_path):
    """A record without a saved copy falls back on the scenario file."""
    results = sim.simulate(sim.load_scenario(SCENARIOS / "split-the-pie.yaml"), runs=3, seed=0)
    results.save(tmp_path)
    record = json.loads((tmp_path / "record.json").read_text())
    old = {k: record[k] for k in ("scenario", "scenario_file", "scenario_digest", "package_version",
                                   "seed", "spawn_key", "runs", "horizon", "command")}
    (tmp_path / "record.json").write_text(json.dumps(old))
    loaded = sim.Results.load(tmp_path)
    assert loaded.scenario.digest == results.scenario.digest
    assert loaded.record["actors"] == results.record["actors"]
    pd.testing.assert_frame_equal(loaded.outcomes, results.outcomes)


def test_overrides_given_as_numpy_numbers_save_and_reload_unchanged(tmp_path):
    """A sweep's values and a table's cells are numpy scalars; the record keeps them as numbers."""
    scenario = sim.load_scenario(SCENARIOS / "december-2022.yaml",
                                 {"actors.russia.erosion": np.float64(0.004), "horizon": np.int64(12)})
    sim.simulate(scenario, runs=3, seed=1).save(tmp_path)
    assert json.loads((tmp_path / "record.json").read_text())["overrides"] == \
        {"actors.russia.erosion": 0.004, "horizon": 12}
    with warnings.catch_warnings():
        warnings.simplefilter("error")                        # the file has not changed: no warning
        loaded = sim.Results.load(tmp_path)
    assert loaded.scenario.horizon == 12 and loaded.scenario.digest == scenario.digest
