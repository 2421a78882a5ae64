"""Sweeps: designs, statistics, identical tables whatever the executor or chunking, resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zopa import analysis
import zopa.analysis.sweeps as sweep_module
from zopa import sim
from zopa.analysis.stats import wilson

ROOT = Path(__file__).resolve().parents[1]
PIE = ROOT / "scenarios" / "split-the-pie.yaml"
DEC = ROOT / "scenarios" / "december-2022.yaml"
# Russia's erosion against the US value of no deal while aid flows: both move the chance of a deal.
VARY = {"actors.russia.erosion": [0.002, 0.008], "actors.united_states.reservation": [0.3, 0.45]}
SMALL = dict(runs=12, seed=7)


def same(a, b):
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.points, b.points)


@pytest.fixture(scope="module")
def serial():
    return analysis.sweep(DEC, VARY, executor="serial", chunk_size=1, **SMALL)


# ---------------------------------------------------------------------------------- statistics

def test_wilson_1927_interval_known_values():
    """Wilson (1927): 5/10 -> [0.2366, 0.7634]; 0/10 -> [0, z^2/(n+z^2)] = [0, 0.2775] (to 1e-4)."""
    p, lo, hi = wilson(5, 10)
    assert (p, round(lo, 4), round(hi, 4)) == (0.5, 0.2366, 0.7634)
    p, lo, hi = wilson(0, 10)
    assert (p, lo, round(hi, 4)) == (0.0, 0.0, 0.2775)
    assert all(np.isnan(wilson(0, 0)))


def test_grid_is_the_cartesian_product_in_order():
    pts = analysis.design_points({"a": [1, 2, 3], "b": ["x", "y"]})
    assert pts.to_dict("list") == {"a": [1, 1, 2, 2, 3, 3], "b": ["x", "y"] * 3}


@pytest.mark.parametrize("design", ["lhs", "sobol", "random", "saltelli"])
def test_sampled_designs_are_seeded_and_inside_the_box(design):
    vary = {"a": (0.0, 1.0), "b": (10.0, 20.0)}
    one = analysis.design_points(vary, design=design, samples=8, seed=1)
    assert one.equals(analysis.design_points(vary, design=design, samples=8, seed=1))
    assert not one.equals(analysis.design_points(vary, design=design, samples=8, seed=2))
    assert one["a"].between(0, 1).all() and one["b"].between(10, 20).all()
    assert len(one) == (8 * 4 if design == "saltelli" else 8)


def test_saltelli_design_is_salib_sample():
    from SALib.sample import sobol as salib_sobol
    ss = np.random.SeedSequence(3)
    pts = analysis.design_points({"a": (0, 1), "b": (0, 2)}, design="saltelli", samples=4, seed=ss)
    expected = salib_sobol.sample({"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 2]]}, 4,
                                  calc_second_order=False, seed=int(np.random.SeedSequence(3).generate_state(1)[0]))
    np.testing.assert_array_equal(pts.to_numpy(), expected)


@pytest.mark.parametrize("vary, design, samples, message", [
    ({"a": (0, 1)}, "sobol", 100, "power of 2.*64 or 128"),
    ({"a": (0, 1)}, "lhs", None, "positive integer"),
    ({"a": [0, 0.5, 1]}, "lhs", 8, "range"),
    ({"a": (1, 0)}, "random", 8, "lo < hi"),
    ({"a": 0.5}, "grid", None, "list of values"),
    ({"a": []}, "grid", None, "empty"),
    ({}, "grid", None, "nothing to vary"),
    ({"a": [1]}, "latin", None, "expected one of grid"),
])
def test_bad_designs_are_refused_clearly(vary, design, samples, message):
    with pytest.raises(ValueError, match=message):
        analysis.design_points(vary, design=design, samples=samples)


# ---------------------------------------------------------------------------------- sweep tables

def test_sweep_tables(serial):
    assert len(serial.points) == 4 and len(serial.runs) == 4 * SMALL["runs"]
    assert list(serial.runs.columns[:3]) == ["point", *VARY]
    for col in ("p_zopa", "p_talks", "p_deal", "zopa_round_median", "zopa_date_median", "rounds_to_zopa",
                "terms.territory", "terms.crimea"):
        assert col in serial.points
    assert (serial.points["p_deal_lo"] <= serial.points["p_deal"]).all()
    assert (serial.points["p_deal"] <= serial.points["p_deal_hi"]).all()
    by_point = serial.runs.groupby("point")["agreed"].mean().to_numpy()
    np.testing.assert_allclose(serial.points["p_deal"].to_numpy(), by_point)
    # every point really ran with its overrides
    assert serial.runs.groupby("point")["actors.russia.erosion"].nunique().eq(1).all()


def test_points_draw_independent_streams(serial):
    a = serial.runs[serial.runs.point == 0]["battlefield.p_a"].to_numpy()
    b = serial.runs[serial.runs.point == 1]["battlefield.p_a"].to_numpy()
    assert not np.array_equal(a, b)


def test_processes_and_chunking_give_identical_tables(serial):
    same(serial, analysis.sweep(DEC, VARY, executor="processes", workers=2, chunk_size=3, **SMALL))


def test_dask_local_cluster_gives_identical_tables(serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        same(serial, analysis.sweep(DEC, VARY, executor=client, chunk_size=2, **SMALL))
        same(serial, analysis.sweep(DEC, VARY, executor="dask", scheduler=cluster.scheduler_address,
                                    chunk_size=1, **SMALL))


def test_a_different_seed_gives_different_worlds(serial):
    other = analysis.sweep(DEC, VARY, executor="serial", runs=SMALL["runs"], seed=8)
    assert not other.runs["battlefield.p_a"].equals(serial.runs["battlefield.p_a"])


# ---------------------------------------------------------------------------------- durable output

def test_out_directory_and_load(serial, tmp_path):
    result = analysis.sweep(DEC, VARY, executor="serial", chunk_size=3, out=tmp_path, **SMALL)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["chunks", "points.parquet", "sweep.json"]
    assert sorted(p.name for p in (tmp_path / "chunks").iterdir()) == ["chunk-00000.parquet", "chunk-00001.parquet"]
    config = json.loads((tmp_path / "sweep.json").read_text())
    assert config["scenario_digest"] == sim.load_scenario(DEC).digest and config["version"] == sim.__version__
    same(serial, result)
    same(serial, analysis.Sweep.load(tmp_path))


def test_resume_after_a_failure_redoes_only_missing_chunks(serial, tmp_path, monkeypatch):
    real, calls = sweep_module._run_chunk, []

    def failing(*args):
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(sweep_module, "_run_chunk", failing)
    with pytest.raises(RuntimeError, match="worker lost"):
        analysis.sweep(DEC, VARY, executor="serial", chunk_size=1, out=tmp_path, **SMALL)
    assert len(list(tmp_path.glob("chunks/chunk-*.parquet"))) == 2
    calls.clear()
    monkeypatch.setattr(sweep_module, "_run_chunk", lambda *a: calls.append(a) or real(*a))
    resumed = analysis.sweep(DEC, VARY, executor="serial", out=tmp_path, **SMALL)  # chunk_size read back
    assert sorted(point for call in calls for point, *_ in call[2]) == [2, 3]
    same(serial, resumed)


_KILLED = """
import sys
from zopa import analysis
analysis.sweep(sys.argv[1], {vary!r}, runs={runs}, seed={seed}, executor="serial", chunk_size=1, out=sys.argv[2])
"""


def test_resume_after_kill_equals_an_uninterrupted_run(tmp_path):
    vary = {"actors.russia.erosion": [0.002, 0.004, 0.006, 0.008], "actors.united_states.reservation": [0.3, 0.45]}
    code = _KILLED.format(vary=vary, **SMALL)
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-c", code, str(DEC), str(out)], cwd=ROOT)
    try:
        while proc.poll() is None and len(list(out.glob("chunks/chunk-*.parquet"))) < 2:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    written = len(list(out.glob("chunks/chunk-*.parquet")))
    assert written >= 2 and not list(out.glob("*.tmp")) and not list(out.glob("chunks/*.tmp"))
    resumed = analysis.sweep(DEC, vary, executor="serial", out=out, **SMALL)
    same(analysis.sweep(DEC, vary, executor="serial", **SMALL), resumed)


def test_resume_with_other_arguments_is_refused(tmp_path):
    analysis.sweep(PIE, {"actors.a.erosion": [0.0, 0.01]}, runs=3, executor="serial", out=tmp_path)
    with pytest.raises(ValueError, match=r"different sweep.*runs: found 4.*has 3"):
        analysis.sweep(PIE, {"actors.a.erosion": [0.0, 0.01]}, runs=4, executor="serial", out=tmp_path)
    with pytest.raises(ValueError, match=r"vary"):
        analysis.sweep(PIE, {"actors.a.erosion": [0.0, 0.02]}, runs=3, executor="serial", out=tmp_path)


def test_bad_paths_fail_before_any_work(tmp_path):
    with pytest.raises(sim.ScenarioError, match="actors.a.erosoin"):
        analysis.sweep(PIE, {"actors.a.erosoin": [0.0]}, runs=2, executor="serial", out=tmp_path)
    assert not list(tmp_path.glob("chunk-*")) and not list(tmp_path.glob("chunks/chunk-*"))


def test_a_scenario_loaded_with_overrides_is_refused():
    scenario = sim.load_scenario(PIE, {"actors.a.erosion": 0.01})
    with pytest.raises(ValueError, match="overrides"):
        analysis.sweep(scenario, {"actors.b.erosion": [0.0]}, runs=2, executor="serial")


@pytest.mark.parametrize("executor", ["threads", 3])
def test_unknown_executor_is_refused(executor):
    with pytest.raises(ValueError, match="executor"):
        analysis.sweep(PIE, {"actors.a.erosion": [0.0]}, runs=2, executor=executor)


# ---------------------------------------------------------------------------------- sensitivity

@pytest.fixture(scope="module")
def saltelli():
    vary = {"actors.russia.erosion": (0.002, 0.01), "actors.united_states.reservation": (0.2, 0.5)}
    return analysis.sweep(DEC, vary, design="saltelli", samples=8, runs=10, seed=3, executor="processes", workers=2)


def test_sobol_indices_table(saltelli):
    assert len(saltelli.points) == 8 * 4
    for outcome in ("p_deal", "rounds_to_zopa"):
        table = saltelli.sensitivity(outcome)
        assert list(table.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
        assert table["parameter"].tolist() == list(saltelli.vary)
        assert np.isfinite(table[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy()).all()
        assert (table["ST_conf"] >= 0).all()


def test_sobol_indices_need_the_salib_sample(serial, saltelli):
    with pytest.raises(ValueError, match="saltelli"):
        serial.sensitivity()
    moved = saltelli.points.copy()
    moved.loc[0, "actors.russia.erosion"] += 1e-3
    tampered = analysis.Sweep(saltelli.runs, moved, saltelli.config)
    with pytest.raises(ValueError, match="not SALib's"):
        tampered.sensitivity()
    with pytest.raises(ValueError, match="numeric points column"):
        saltelli.sensitivity("terms.crimea")
