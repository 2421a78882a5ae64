"""A sweep directory belongs to one sweep and holds only its chunks; workers end with their sweep.

Each test is one promise of docs/reference/guarantees.md: one sweep at a time per directory, chunks
verified on resume (damaged ones recomputed; foreign, moved or stray ones refused by path), temporary
files cleaned, an edited scenario file caught, and no worker outliving the ``zopa sweep`` that started it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from zopa import analysis
import zopa.analysis.sweeps as sweep_module
from zopa.analysis.store import SweepStore, SweepWarning

ROOT = Path(__file__).resolve().parents[1]
PIE = ROOT / "scenarios" / "split-the-pie.yaml"
VARY = {"actors.a.erosion": [0.0, 0.01, 0.02, 0.03]}
ARGS = dict(runs=5, seed=3, executor="serial", chunk_size=1)
CLI = "import sys; from zopa.sim.cli import main; sys.exit(main(sys.argv[1:]))"


def same(a, b):
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.points, b.points)


@pytest.fixture(scope="module")
def reference():
    return analysis.sweep(PIE, VARY, **ARGS)


@pytest.fixture
def finished(tmp_path):
    out = tmp_path / "sweep"
    analysis.sweep(PIE, VARY, out=out, **ARGS)
    return out


# ------------------------------------------------------------------------------ one sweep at a time

def test_a_directory_in_use_is_refused_and_free_again_after(tmp_path, reference):
    holder = SweepStore(tmp_path)
    holder.lock()
    try:
        with pytest.raises(ValueError, match=r"in use by another sweep"):
            analysis.sweep(PIE, VARY, out=tmp_path, **ARGS)
        assert not list(tmp_path.glob("chunk-*")) and not list(tmp_path.glob("chunks/chunk-*"))
    finally:
        holder.unlock()
    same(reference, analysis.sweep(PIE, VARY, out=tmp_path, **ARGS))


def test_a_killed_sweep_leaves_no_lock_behind(tmp_path, reference):
    code = ("import sys, time; from zopa.analysis.store import SweepStore; SweepStore(sys.argv[1]).lock(); "
            "print('locked', flush=True); time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(ValueError, match="in use by another sweep"):
            analysis.sweep(PIE, VARY, out=tmp_path, **ARGS)
    finally:
        proc.kill()
        proc.wait()
    same(reference, analysis.sweep(PIE, VARY, out=tmp_path, **ARGS))


def _sweep_command(out: Path, seed: int) -> list[str]:
    return [sys.executable, "-c", CLI, "sweep", str(PIE), "--vary", "actors.a.erosion=0:0.03:6", "--runs", "300",
            "--seed", str(seed), "--executor", "serial", "--chunk-size", "1", "--out", str(out)]


def test_two_sweeps_started_at_once_one_runs_the_other_is_refused(tmp_path):
    out = tmp_path / "sweep"
    procs = [subprocess.Popen(_sweep_command(out, seed), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for seed in (2, 7)]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    (winner,) = [seed for seed, (code, _) in zip((2, 7), results) if code == 0]
    (refusal,) = [err for code, err in results if code == 1]
    assert str(out) in refusal and ("in use by another sweep" in refusal or "holds a different sweep" in refusal)
    loaded = analysis.Sweep.load(out)
    assert loaded.config["seed"] == winner and set(loaded.runs["seed"]) == {winner}
    vary = {"actors.a.erosion": list(loaded.vary["actors.a.erosion"])}
    same(analysis.sweep(PIE, vary, runs=300, seed=winner, executor="serial", chunk_size=1), loaded)


# ------------------------------------------------------------------------------ verified chunks

def test_a_truncated_chunk_is_named_and_recomputed(finished, reference):
    chunk = finished / "chunks" / "chunk-00001.parquet"
    chunk.write_bytes(chunk.read_bytes()[:200])
    with pytest.raises(ValueError, match=str(chunk)):
        analysis.Sweep.load(finished).runs
    with pytest.warns(SweepWarning, match=rf"{chunk}: damaged.*recomputing"):
        resumed = analysis.sweep(PIE, VARY, out=finished, **ARGS)
    same(reference, resumed)
    same(reference, analysis.Sweep.load(finished))


def test_swapped_chunks_are_refused_by_path(finished):
    a, b = finished / "chunks" / "chunk-00000.parquet", finished / "chunks" / "chunk-00002.parquet"
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    with pytest.raises(ValueError, match=rf"{a}: found chunk 2 .* under the name of chunk 0"):
        analysis.sweep(PIE, VARY, out=finished, **ARGS)
    with pytest.raises(ValueError, match=str(a)):
        analysis.Sweep.load(finished).runs


def test_a_chunk_from_another_sweep_is_refused_by_path(finished, tmp_path):
    other = tmp_path / "other"
    analysis.sweep(PIE, VARY, out=other, **{**ARGS, "seed": 4})
    shutil.copy(other / "chunks" / "chunk-00003.parquet", finished / "chunks" / "chunk-00003.parquet")
    foreign = r"chunk-00003.parquet: found a chunk of another sweep \(seed 4 instead of 3\)"
    with pytest.raises(ValueError, match=foreign):
        analysis.sweep(PIE, VARY, out=finished, **ARGS)


def test_a_chunk_without_identity_is_refused(finished):
    chunk = finished / "chunks" / "chunk-00002.parquet"
    chunk.write_bytes(sweep_module.to_parquet_bytes(pd.read_parquet(chunk)))   # same rows, no stamp
    with pytest.raises(ValueError, match=rf"{chunk}: found a chunk without a sweep's identity"):
        analysis.sweep(PIE, VARY, out=finished, **ARGS)


def test_a_stray_chunk_beyond_the_design_is_refused_by_path(finished):
    stray = finished / "chunks" / "chunk-00099.parquet"
    shutil.copy(finished / "chunks" / "chunk-00000.parquet", stray)
    with pytest.raises(ValueError, match=rf"{stray}: found a chunk outside this sweep's design"):
        analysis.sweep(PIE, VARY, out=finished, **ARGS)
    with pytest.raises(ValueError, match=str(stray)):
        analysis.Sweep.load(finished).runs


def test_temporary_files_of_a_killed_write_are_removed(finished, reference):
    leftovers = [finished / "chunks" / ".chunk-00001.parquet.abc123.tmp", finished / ".sweep.json.x1.tmp"]
    for path in leftovers:
        path.write_bytes(b"half a file")
    (finished / "chunks" / "chunk-00001.parquet").unlink()
    same(reference, analysis.sweep(PIE, VARY, out=finished, **ARGS))
    assert not [p for p in leftovers if p.exists()]


def test_a_truncated_sweep_json_is_named(finished):
    config = finished / "sweep.json"
    config.write_text(config.read_text()[:40])
    for call in (lambda: analysis.sweep(PIE, VARY, out=finished, **ARGS), lambda: analysis.Sweep.load(finished)):
        with pytest.raises(ValueError, match=rf"{config}: found damaged JSON"):
            call()


def test_a_scenario_edited_during_the_sweep_is_caught(tmp_path, monkeypatch, reference):
    scenario = tmp_path / "pie.yaml"
    shutil.copy(PIE, scenario)
    real, calls = sweep_module._tagged, []

    def edit_after_the_first_chunk(*args):
        calls.append(1)
        if len(calls) == 2:
            scenario.write_text(scenario.read_text() + "\n# edited while the sweep ran\n")
        return real(*args)

    monkeypatch.setattr(sweep_module, "_tagged", edit_after_the_first_chunk)
    out = tmp_path / "sweep"
    with pytest.raises(ValueError, match=rf"{scenario}: found the scenario file changed during the sweep"):
        analysis.sweep(scenario, VARY, out=out, **ARGS)
    assert [p.name for p in out.glob("chunks/chunk-*")] == ["chunk-00000.parquet"]
    monkeypatch.setattr(sweep_module, "_tagged", real)
    resumed = analysis.sweep(scenario, VARY, out=out, **ARGS)   # a comment: the same scenario, resumed
    pd.testing.assert_frame_equal(reference.runs, resumed.runs)
    scenario.write_text(scenario.read_text().replace("horizon: 12", "horizon: 11"))
    with pytest.raises(ValueError, match=r"different sweep.*scenario_digest"):
        analysis.sweep(scenario, VARY, out=out, **ARGS)


# ------------------------------------------------------------------------------ workers end with the sweep

def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (zombies count as gone)."""
    found, frontier = set(), {pid}
    while frontier:
        parents, frontier = frontier, set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) in parents and fields[0] != "Z" and int(entry.name) not in found:
                    found.add(int(entry.name))
                    frontier.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the guarantee uses Linux's prctl")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_no_worker_outlives_a_killed_sweep(tmp_path, sig):
    out = tmp_path / "sweep"
    command = [sys.executable, "-c", CLI, "sweep", str(PIE), "--vary", "actors.a.erosion=0:0.03:40",
               "--runs", "2000", "--executor", "processes", "--workers", "2", "--chunk-size", "1", "--out", str(out)]
    parent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while parent.poll() is None and time.monotonic() < deadline and len(workers) < 2:
            workers = _children(parent.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the sweep never started its workers"
        time.sleep(0.5)
        workers |= _children(parent.pid)
        os.kill(parent.pid, sig)
        parent.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "workers outlived their sweep"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
