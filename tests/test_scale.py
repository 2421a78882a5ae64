"""Scale: the engine chooses its exact method by size, deals stay valid with many actors, and runs that
cannot fit are refused up front with the limit (speed is measured by benchmarks/scale.py, not here)."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from zopa import sim
from zopa.sim.cli import main
from zopa.sim.engine import solver

LEVELS = ["l0", "l1", "l2"]


def synthetic(n: int, kc: int, kl: int = 0, *, protocol: str = "nash", seed: int = 0) -> dict:
    """n actors with ideals spread over [0, 1] on kc range issues (and kl levels issues), weights drawn
    per world, reservations eroding so zones open; actor a0 has a red line on r0."""
    rng = np.random.default_rng(seed)
    issues = {f"r{k}": {"range": [0, 1]} for k in range(kc)}
    issues.update({f"v{k}": {"levels": LEVELS} for k in range(kl)})
    actors = {}
    for i in range(n):
        actor = {"weights": {k: {"uniform": [0.5, 1.5]} for k in issues},
                 "ideal": {**{f"r{k}": round(float(rng.random()), 3) for k in range(kc)},
                           **{f"v{k}": LEVELS[int(rng.integers(3))] for k in range(kl)}},
                 "reservation": {"uniform": [0.5, 0.7]}, "erosion": 0.03, "discount": 0.9}
        if i == 0 and kc:
            actor["red_lines"] = {"r0": {"min": 0.1}}
        actors[f"a{i}"] = actor
    return {"name": "scale", "title": "scale test", "calendar": {"start": "2024-01-01", "step": "month"},
            "horizon": 12, "protocol": protocol, "issues": issues, "actors": actors}


def load(tmp_path: Path, data: dict):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return sim.load_scenario(path)


@pytest.mark.parametrize("n, kc, method", [(3, 3, "enumerate"), (3, 2, "enumerate"), (3, 4, "enumerate"), (3, 5, "lp"), (4, 1, "enumerate"), (4, 2, "lp"),
                                           (3, 6, "lp"), (3, 8, "lp"), (5, 2, "lp"), (12, 2, "lp"),
                                           (30, 12, "lp"), (40, 0, "enumerate"), (2, 12, "enumerate")])
def test_method_is_chosen_by_size(n, kc, method):
    """Enumeration up to ENUMERATE_MAX subsets (where it measured cheaper), one LP per world beyond."""
    assert solver.choose_method(n, kc) == method


def test_december_2022_keeps_the_enumeration():
    s = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "december-2022.yaml")
    model = sim.NegotiationModel(s, runs=4, rng=1, history=False)
    assert model.zone.method == "enumerate"


@pytest.mark.parametrize("protocol", ["nash", "kalai-smorodinsky", "egalitarian", "alternating-offers"])
def test_deals_with_many_actors_respect_red_lines_and_reservations(tmp_path, protocol):
    """Eight actors (the LP method): every deal lies inside every red line and gives each actor at least its
    reservation, with the facets the protocol needs added by cutting planes."""
    s = load(tmp_path, synthetic(8, 2, 1, protocol=protocol))
    model = sim.NegotiationModel(s, runs=12, rng=3, history=False)
    assert model.zone.method == "lp"
    res = sim.simulate(s, runs=12, seed=3, history=False)
    out = res.outcomes[res.outcomes["agreed"]]
    assert len(out) > 0
    assert (out["terms.r0"] >= 0.1 - 1e-12).all()
    for i in range(8):
        assert (out[f"utility.a{i}"] >= out[f"reservation.a{i}"] - 1e-9).all()


def test_concession_with_many_actors_strikes_deals(tmp_path):
    """Eight actors (the LP method) under Zeuthen's concession: the ends of every concession path are
    made feasible by cutting planes before talks, so the openings are finite, actors concede and deals
    are struck, inside every red line and above every reservation."""
    data = synthetic(8, 2, 1, protocol="concession")
    data.update(horizon=40, concession_step=0.5)
    s = load(tmp_path, data)
    model = sim.NegotiationModel(s, runs=6, rng=3, history=False)
    assert model.zone.method == "lp"
    while model.running:
        model.step()
    assert np.isfinite(model.protocol.opening).all()
    assert model.deal.agreed.all()
    assert (model.deal.status == "ok").all()
    assert (model.deal.x[:, 0] >= 0.1 - 1e-12).all()
    assert (model.deal.utility >= model.deal.reservation - 1e-9).all()


def test_thirty_actors_run_and_name_their_blocking_actors(tmp_path):
    """30 actors: no table of 2^30 names is built; the blocking column names actors."""
    s = load(tmp_path, synthetic(30, 1, protocol="egalitarian"))
    res = sim.simulate(s, runs=5, seed=1, history=True)
    names = {a for b in res.history["blocking"] for a in b}
    assert names <= {f"a{i}" for i in range(30)}
    assert len(res.history) >= 5


def test_run_that_does_not_fit_is_refused_before_it_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(solver, "available_memory", lambda: 2 ** 30)
    s = load(tmp_path, synthetic(3, 2))
    with pytest.raises(solver.SizeError, match=r"expected at most [\d,]+ .*run fewer worlds"):
        sim.simulate(s, runs=50_000_000, seed=1)
    assert isinstance(solver.SizeError("x"), ValueError)


def test_too_many_actors_is_refused_with_the_limit(tmp_path):
    s = load(tmp_path, synthetic(solver.MAX_ACTORS + 1, 1))
    with pytest.raises(solver.SizeError, match=f"expected at most {solver.MAX_ACTORS}"):
        sim.simulate(s, runs=2, seed=1)


def test_cli_refuses_in_one_line_and_runs_without_history(tmp_path, capsys, monkeypatch):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(synthetic(3, 2)))
    assert main(["run", str(path), "--runs", "20", "--seed", "1", "--no-history", "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "outcomes.parquet").exists()
    assert not (tmp_path / "o" / "history.parquet").exists()
    monkeypatch.setattr(solver, "available_memory", lambda: 2 ** 30)
    capsys.readouterr()
    assert main(["run", str(path), "--runs", "50000000", "--no-history"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("zopa: error: runs: found 50,000,000 worlds")


def test_progress_bar_reports_rounds(tmp_path):
    import io
    stream = io.StringIO()
    bar = __import__("zopa.sim.cli", fromlist=["Progress"]).Progress(stream, force=True)
    s = load(tmp_path, synthetic(3, 1))
    sim.simulate(s, runs=5, seed=1, history=False, progress=bar)
    bar.close()
    assert "round" in stream.getvalue() and stream.getvalue().endswith("\n")


def test_many_levels_combinations_are_not_held_for_every_world(tmp_path, monkeypatch):
    """Past DENSE_MAX bytes the tables are built per chunk of live worlds, and the widths are the same."""
    s = load(tmp_path, synthetic(3, 1, 3, protocol="egalitarian"))
    dense = sim.simulate(s, runs=40, seed=2, history=True)
    monkeypatch.setattr(solver, "DENSE_MAX", 1)
    model = sim.NegotiationModel(s, runs=40, rng=2)
    assert not model.zone.dense and not isinstance(model.zone.B, np.ndarray)
    chunked = sim.simulate(s, runs=40, seed=2, history=True)
    assert np.array_equal(dense.history["zopa_width"].to_numpy(), chunked.history["zopa_width"].to_numpy())
    assert dense.outcomes["agreed"].equals(chunked.outcomes["agreed"])


def test_separation_agrees_between_methods(tmp_path):
    """A point is outside the feasible utilities for the LP method exactly when the enumerated facets say so."""
    s = load(tmp_path, synthetic(4, 2, protocol="egalitarian"))
    model = sim.NegotiationModel(s, runs=30, rng=5, history=False)
    a, b = solver.Zone(model.worlds, method="enumerate"), solver.Zone(model.worlds, method="lp")
    r = model.reservations()
    active = np.ones(30, dtype=bool)
    va, vb = a.evaluate(r, active), b.evaluate(r, active)
    idx = np.where(np.isfinite(va.t))[0]
    for scale in (0.5, 1.0, 1.5):
        y = r[idx] + scale * va.t[idx, None] + np.linspace(-0.05, 0.05, 4)
        assert np.array_equal(a.separate(idx, y, va.combo[idx]), b.separate(idx, y, vb.combo[idx]))


@pytest.mark.parametrize("scenario", ["december-2022", "synthetic"])
def test_streamed_history_is_the_history_in_memory(tmp_path, monkeypatch, scenario):
    """History written to Parquet in row groups as rounds complete holds the rows of the in-memory table,
    round by round; loaded back it is that table (december-2022 has a front line and relapses)."""
    import pyarrow.parquet as pq
    simulate_module = importlib.import_module("zopa.sim.simulate")
    from zopa.sim.tables import read_parquet

    path = Path(__file__).resolve().parents[1] / "scenarios" / "december-2022.yaml"
    s = sim.load_scenario(path) if scenario == "december-2022" else load(tmp_path, synthetic(3, 2, 1))
    kept = sim.simulate(s, runs=30, seed=4, history=True)
    monkeypatch.setattr(simulate_module, "HISTORY_ROWS", 10)
    streamed = sim.simulate(s, runs=30, seed=4, history_path=tmp_path / "h.parquet")
    assert streamed.history is None and streamed.history_file == tmp_path / "h.parquet"
    assert pq.ParquetFile(tmp_path / "h.parquet").num_row_groups > 1
    rows = read_parquet(tmp_path / "h.parquet")
    assert (np.diff(rows["round"].to_numpy()) >= 0).all()
    expected = read_parquet(sim.tables.parquet_bytes(kept.history))
    pd.testing.assert_frame_equal(rows.sort_values(["world", "round"], kind="stable", ignore_index=True), expected)
    pd.testing.assert_frame_equal(streamed.outcomes, kept.outcomes)
    streamed.save(tmp_path / "out")
    assert not (tmp_path / "h.parquet").exists()
    pd.testing.assert_frame_equal(sim.Results.load(tmp_path / "out").history, expected)


def test_no_history_keeps_no_round_by_round_state(tmp_path):
    s = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "december-2022.yaml")
    model = sim.NegotiationModel(s, runs=10, rng=1, history=False)
    model.run_model()
    assert model.history == [] and model.front_history == []


def test_cli_streams_the_history_of_large_runs(tmp_path, monkeypatch):
    """Past STREAM_ROWS rows, zopa run --out writes the history as rounds complete and moves it into the
    folder: the same table as a run that holds it, and no file is left beside the folder."""
    module = importlib.import_module("zopa.sim.simulate")
    monkeypatch.setattr(module, "STREAM_ROWS", 0)
    writers = []

    class Spy(module.HistoryWriter):
        def close(self):
            writers.append(self.path)
            super().close()

    monkeypatch.setattr(module, "HistoryWriter", Spy)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(synthetic(3, 2)))
    assert main(["run", str(path), "--runs", "20", "--seed", "1", "--out", str(tmp_path / "o")]) == 0
    assert len(writers) == 1 and writers[0].parent == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "s.yaml"]
    held = sim.simulate(sim.load_scenario(path), runs=20, seed=1, history=True).history
    pd.testing.assert_frame_equal(sim.Results.load(tmp_path / "o").history,
                                  sim.tables.read_parquet(sim.tables.parquet_bytes(held)))


def test_vertices_are_the_same_whether_repeats_are_looked_for(monkeypatch):
    """Worlds drawn apart skip the search for repeated configurations; each world's vertices are the same
    either way, and so are those of worlds that do repeat."""
    from zopa.sim.engine import vertices

    rng = np.random.default_rng(3)
    W, n, kc = 3000, 3, 2
    w = rng.dirichlet(np.ones(kc + 1), size=(W, n))[:, :, :kc]
    w[::7] = w[0]                                        # some worlds repeat another's configuration
    ideal = rng.uniform(0, 1, (W, n, kc))
    ideal[::7] = ideal[0]
    span = np.maximum(ideal, 1 - ideal)
    skipped = vertices.dual_candidates(w, ideal, span)
    monkeypatch.setattr(vertices, "SAMPLE", 10 ** 9)     # always look for repeats
    searched = vertices.dual_candidates(w, ideal, span)
    assert skipped.shape == searched.shape
    assert np.array_equal(skipped, searched)
