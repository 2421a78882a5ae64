"""Scenario discovery: the outcome language, PRIM boxes (EMA Workbench) and CART leaves, ``zopa discover``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import zopa
from zopa import analysis
from zopa.analysis.discovery_tree import tree_boxes
from zopa.analysis.outcomes import input_columns, parse_outcome
from zopa.sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEC = str(ROOT / "scenarios" / "december-2022.yaml")
PIE = str(ROOT / "scenarios" / "split-the-pie.yaml")


def _planted(n: int = 600, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Three uniform inputs; the outcome holds exactly in the box a > 0.6, b < 0.4 (c is noise)."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(0, 1, size=(n, 3)), columns=["actors.x.a", "actors.x.b", "actors.x.c"])
    return x, ((x["actors.x.a"] > 0.6) & (x["actors.x.b"] < 0.4)).to_numpy()


def _inside(x: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray:
    """Rows within every numeric limit of one box, counted here and not by the Workbench."""
    keep = np.ones(len(x), dtype=bool)
    for r in limits.itertuples():
        keep &= (x[r.parameter] >= r.lower).to_numpy() & (x[r.parameter] <= r.upper).to_numpy()
    return keep


# --------------------------------------------------------------------------------- the outcome language
def _table() -> pd.DataFrame:
    day = pd.Timestamp
    return pd.DataFrame({
        "agreement_date": pd.to_datetime([day("2026-01-01"), day("2026-03-05"), day("2026-03-06"), pd.NaT]),
        "zopa_date": pd.to_datetime([day("2025-01-01"), pd.NaT, day("2026-03-06"), day("2025-06-01")]),
        "agreed": [True, True, True, False],
        "p_deal": [0.1, 0.5, 0.7, 0.0],
    })


@pytest.mark.parametrize("text, expected", [
    ("deal by 2026-03-05", [True, True, False, False]),         # on the date counts; never is never
    ("no deal by 2026-03-05", [False, False, True, True]),
    ("zopa   by 2025-06-01", [True, False, False, True]),
    ("agreed", [True, True, True, False]),
    ("not agreed", [False, False, False, True]),
    ("p_deal >= 0.5", [False, True, True, False]),
    ("p_deal < 0.5", [True, False, False, True]),
])
def test_outcome_language(text, expected):
    assert parse_outcome(text)(_table()).tolist() == expected


@pytest.mark.parametrize("text, message", [
    ("deal by soon", "found date 'soon', expected YYYY-MM-DD"),
    ("peace by 2026-01-01", "found an unknown event"),
    ("p_deal >= half", "found 'half', expected a number"),
    ("p_deal", "found column p_deal of type float64, expected a boolean column"),
    ("talks by 2026-01-01", "found no column talks_date"),
    ("", "found nothing"),
])
def test_outcome_language_refuses_bad_outcomes(text, message):
    with pytest.raises(ValueError, match=message):
        parse_outcome(text)(_table())


def test_inputs_of_a_run_are_the_sampled_parameters():
    model = zopa.NegotiationModel(DEC, runs=20, rng=1)
    results = zopa.simulate(zopa.load_scenario(DEC), runs=20, seed=1)
    assert input_columns(results.outcomes) == sorted(model.worlds.sampled)


# --------------------------------------------------------------------------------- PRIM and CART
def test_prim_finds_a_planted_box_and_its_statistics_hold():
    x, y = _planted()
    found = analysis.discover(x.assign(hit=y), "hit", inputs=list(x.columns), boxes=1, threshold=0.99)
    box = found.boxes.iloc[0]
    limits = found.limits[found.limits["box"] == 1].set_index("parameter")
    # the edges PRIM peels to sit within one peeling step of the planted ones
    assert abs(limits.loc["actors.x.a", "lower"] - 0.6) < 0.05
    assert abs(limits.loc["actors.x.b", "upper"] - 0.4) < 0.05
    assert box["density"] >= 0.99 and box["coverage"] >= 0.8
    # coverage, density and mass recomputed from the printed limits agree with the Workbench's
    inside = _inside(x, found.limits[found.limits["box"] == 1])
    assert (box["n"], box["k"]) == (inside.sum(), (inside & y).sum())
    assert box["coverage"] == pytest.approx((inside & y).sum() / y.sum(), abs=1e-12)
    assert box["density"] == pytest.approx((inside & y).sum() / inside.sum(), abs=1e-12)
    assert box["mass"] == pytest.approx(inside.mean(), abs=1e-12)
    traj = found.trajectories[0]
    assert traj["selected"].sum() == 1 and traj.loc[traj["selected"], "density"].item() >= found.threshold


def test_prune_drops_the_restrictions_on_noise():
    """With a threshold out of reach PRIM peels deep and restricts noise too; pruning at quasi-p 0.05
    (Bryant and Lempert 2010) leaves the one parameter that matters."""
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.uniform(0, 1, size=(500, 6)), columns=[f"actors.x.p{i}" for i in range(6)])
    y = (x["actors.x.p0"] > 0.5).to_numpy() ^ (rng.uniform(size=500) < 0.25)
    options = dict(inputs=list(x.columns), boxes=1, threshold=0.99)
    raw = analysis.discover(x.assign(hit=y), "hit", **options)
    pruned = analysis.discover(x.assign(hit=y), "hit", prune=0.05, **options)
    noise = set(raw.boxes["restricted"].iloc[0].split(", ")) - {"actors.x.p0"}
    assert noise, "the unpruned box should restrict some noise here"
    assert pruned.boxes["restricted"].iloc[0] == "actors.x.p0"
    assert set(pruned.boxes["dropped"].iloc[0].split(", ")) == noise
    inside = _inside(x, pruned.limits[pruned.limits["box"] == 1])
    assert pruned.boxes["n"].iloc[0] == inside.sum() and pruned.boxes["k"].iloc[0] == (inside & y).sum()
    assert "dropped as possibly chance" in pruned.text()


def test_prim_keeps_the_widest_step_at_the_threshold():
    x, y = _planted(seed=3)
    y = y | (np.random.default_rng(0).uniform(size=len(y)) < 0.15)       # noise: density < 1 everywhere
    found = analysis.discover(x.assign(hit=y), "hit", inputs=list(x.columns), boxes=1, threshold=0.85)
    traj = found.trajectories[0]
    dense = traj[traj["density"] >= 0.85]
    assert found.boxes["coverage"].iloc[0] == dense["coverage"].max()


def test_cart_leaves_partition_the_rows_and_isolate_the_planted_box():
    x, y = _planted()
    tree, leaves = tree_boxes(x, y, depth=2)
    assert leaves["n"].sum() == len(y) and leaves["k"].sum() == y.sum()
    best = leaves.iloc[0]
    assert best["density"] == 1.0 and best["coverage"] == 1.0
    assert "actors.x.a >" in best["rule"] and "actors.x.b <=" in best["rule"]
    assert tree.get_depth() == 2


def test_cart_reads_levels_as_sets():
    rng = np.random.default_rng(2)
    x = pd.DataFrame({"issue.kind": pd.Categorical(rng.choice(["low", "mid", "high"], 300),
                                                   categories=["low", "mid", "high"]),
                      "actors.x.a": rng.uniform(size=300)})
    y = (x["issue.kind"] == "low").to_numpy()
    _, leaves = tree_boxes(x, y, depth=1)
    assert leaves.iloc[0]["rule"] == "issue.kind in {low}" and leaves.iloc[0]["density"] == 1.0


def test_discover_refuses_an_outcome_that_always_or_never_holds():
    x, _ = _planted(n=50)
    with pytest.raises(ValueError, match="found it in 0 of 50 rows"):
        analysis.discover(x.assign(hit=False), "hit", inputs=list(x.columns))


# --------------------------------------------------------------------------------- sweeps and the CLI
def test_discover_reads_sweep_points_or_their_worlds():
    swept = analysis.sweep(PIE, {"actors.a.reservation": [0.0, 0.2, 0.4, 0.6, 0.8],
                                 "actors.b.reservation": [0.0, 0.2, 0.4, 0.6, 0.8]},
                           runs=3, seed=1, executor="serial")
    on_points = analysis.discover(swept, "p_deal >= 0.5", threshold=0.9, boxes=1, mass_min=0.1)
    assert len(on_points.x) == 25 and list(on_points.x.columns) == ["actors.a.reservation",
                                                                       "actors.b.reservation"]
    # a deal exists exactly where the reservations leave something to share: r_a + r_b <= 1
    points = swept.points
    expected = (points["actors.a.reservation"] + points["actors.b.reservation"] <= 1 + 1e-9).to_numpy()
    assert on_points.y.tolist() == expected.tolist()
    on_worlds = analysis.discover(swept, "agreed", threshold=0.9, boxes=1, mass_min=0.1)
    assert len(on_worlds.x) == 75


def test_discover_command_prints_boxes_and_writes_figures(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["run", DEC, "--runs", "300", "--seed", "5", "--out", str(run)]) == 0
    capsys.readouterr()
    code = main(["discover", str(run), "--outcome", "deal by 2026-03-05", "--boxes", "1",
                 "--out", str(tmp_path / "figs")])
    text = capsys.readouterr().out
    assert code == 0
    assert "box 1: coverage" in text and "density" in text and "CART leaves" in text
    for name in ("tradeoff", "box", "scatter"):
        assert (tmp_path / "figs" / f"discovery-{name}-1.png").stat().st_size > 10_000


@pytest.mark.parametrize("argv, message", [
    (["--outcome", "deal by 1999-01-01"], "found it in 0 of"),
    (["--outcome", "deal by someday"], "expected YYYY-MM-DD"),
])
def test_discover_command_bad_input_is_one_clean_error(tmp_path, capsys, argv, message):
    run = tmp_path / "run"
    assert main(["run", PIE, "--runs", "5", "--seed", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["discover", str(run), *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_discover_command_needs_a_results_directory(tmp_path, capsys):
    assert main(["discover", str(tmp_path), "--outcome", "agreed"]) == 1
    assert "found no sweep.json or record.json" in capsys.readouterr().err


def test_discover_command_reads_a_sweep_directory(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", PIE, "--vary", "actors.a.reservation=0:0.9:4", "--vary", "actors.b.reservation=0:0.9:4",
                 "--runs", "2", "--seed", "1", "--executor", "serial", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["discover", str(out), "--outcome", "p_deal >= 0.5", "--threshold", "0.9", "--boxes", "1",
                 "--mass-min", "0.1"]) == 0
    text = capsys.readouterr().out
    assert "10 of 16 rows (62.5%) of interest; 2 inputs" in text       # r_a + r_b <= 1 at 10 of 16 points
    assert (out / "discovery-tradeoff-1.png").exists()
