"""Every row reproduces: its seed, spawn key and overrides regenerate its world with ``simulate``."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zopa import analysis, sim
from zopa.analysis.sweeps import point_seed

ROOT = Path(__file__).resolve().parents[1]
DEC = ROOT / "scenarios" / "december-2022.yaml"   # uncertain parameters: every seed gives other worlds


def _rows(sweep: analysis.Sweep, point: int) -> pd.DataFrame:
    """A point's rows as simulate returns them: without ``point`` and the varied columns."""
    rows = sweep.runs[sweep.runs["point"] == point]
    return rows.drop(columns=["point", *sweep.vary]).reset_index(drop=True)


def _overrides_of(row: pd.Series, vary) -> dict:
    return {path: row[path].item() if hasattr(row[path], "item") else row[path] for path in vary}


@pytest.fixture(scope="module")
def lhs():
    vary = {"actors.russia.erosion": (0.0, 0.01), "actors.united_states.reservation": (0.3, 0.45)}
    return analysis.sweep(DEC, vary, runs=12, seed=7, design="lhs", samples=3, executor="serial")


@pytest.mark.parametrize("point", [0, 2])
def test_a_sweep_row_carries_what_regenerates_its_point(lhs, point):
    """Load the file with the row's varied columns as overrides, seed simulate with the row's seed and
    spawn key: the point's worlds come back, every column equal."""
    row = lhs.runs[lhs.runs["point"] == point].iloc[0]
    assert row["seed"] == 7 and row["spawn_key"] == f"1/{point}"
    scenario = sim.load_scenario(DEC, _overrides_of(row, lhs.vary))
    again = sim.simulate(scenario, runs=12, seed=sim.seed_sequence(row["seed"], row["spawn_key"]), history=False)
    pd.testing.assert_frame_equal(again.outcomes.drop(columns=list(lhs.vary), errors="ignore"), _rows(lhs, point))


def test_seed_seven_alone_is_not_a_sweep_point(lhs):
    """The reason rows carry a spawn key: the root seed by itself gives other worlds."""
    scenario = sim.load_scenario(DEC, _overrides_of(lhs.runs.iloc[0], lhs.vary))
    plain = sim.simulate(scenario, runs=12, seed=7, history=False).outcomes
    assert not plain.drop(columns=["spawn_key"]).equals(_rows(lhs, 0).drop(columns=["spawn_key"]))


def test_sweep_reproduce_gives_each_points_rows(lhs):
    for point in range(len(lhs.points)):
        pd.testing.assert_frame_equal(lhs.reproduce(point, history=False).outcomes
                                      .drop(columns=list(lhs.vary), errors="ignore"), _rows(lhs, point))
    with pytest.raises(ValueError, match="point=3"):
        lhs.reproduce(3)


def test_point_seed_is_the_spawned_seed():
    spawned = np.random.SeedSequence(11).spawn(2)[1].spawn(5)
    for i, ss in enumerate(spawned):
        assert point_seed(11, i).generate_state(4).tolist() == ss.generate_state(4).tolist()


def test_a_saved_sweep_reproduces_from_another_folder_without_its_file(tmp_path, monkeypatch):
    scenario = tmp_path / "pie.yaml"
    shutil.copy(DEC, scenario)
    vary = {"protocol": ["nash", "alternating-offers"], "actors.russia.erosion": [0.0, 0.03]}
    done = analysis.sweep(scenario, vary, runs=6, seed=2, executor="serial", out=tmp_path / "sweep")
    scenario.unlink()
    monkeypatch.chdir(tmp_path.parent)
    loaded = analysis.Sweep.load(tmp_path / "sweep")
    assert loaded.overrides(1) == {"protocol": "nash", "actors.russia.erosion": 0.03}
    again = loaded.reproduce(3)
    assert again.scenario.protocol == "alternating-offers" and again.history is not None
    pd.testing.assert_frame_equal(again.outcomes.drop(columns=list(vary), errors="ignore"), _rows(done, 3))


def test_a_plain_run_row_reproduces(tmp_path):
    scenario = sim.load_scenario(DEC, {"actors.russia.erosion": 0.02})
    first = sim.simulate(scenario, runs=9, history=False)        # a fresh seed
    row = first.outcomes.iloc[4]
    assert row["spawn_key"] == "" and first.record["spawn_key"] == ""
    again = sim.simulate(sim.load_scenario(DEC, first.record["overrides"]), runs=9,
                         seed=sim.seed_sequence(row["seed"], row["spawn_key"]), history=False)
    pd.testing.assert_frame_equal(again.outcomes, first.outcomes)


def test_a_fresh_sweep_seed_fits_its_rows():
    done = analysis.sweep(DEC, {"actors.russia.erosion": [0.01]}, runs=4, seed=None, executor="serial")
    seed = done.config["seed"]
    assert 0 <= seed < 2**63 and (done.runs["seed"] == seed).all()
    again = done.reproduce(0, history=False).outcomes
    pd.testing.assert_frame_equal(again.drop(columns=["actors.russia.erosion"], errors="ignore"), _rows(done, 0))


@pytest.mark.parametrize("seed", [np.random.SeedSequence(2**64), np.random.SeedSequence([1, 2])])
def test_a_seed_sequence_rows_cannot_record_is_refused(seed):
    with pytest.raises(ValueError, match="expected a whole number from 0 to 2\\*\\*63 - 1"):
        sim.simulate(sim.load_scenario(DEC), runs=2, seed=seed)


def test_seed_sequence_reads_the_columns():
    assert sim.seed_sequence(5, "").spawn_key == ()
    assert sim.seed_sequence(5, "1/12").spawn_key == (1, 12)
    assert sim.seed_sequence(np.int64(5), "0").entropy == 5
