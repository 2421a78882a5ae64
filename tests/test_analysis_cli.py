"""``zopa sweep`` and ``zopa plot``: tables and figures on disk, one-line errors with exit status 1."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from zopa import analysis
from zopa.analysis.cli import parse_vary
from zopa.sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
PIE = str(ROOT / "scenarios" / "split-the-pie.yaml")
DEC = str(ROOT / "scenarios" / "december-2022.yaml")


def test_parse_vary_forms():
    assert parse_vary(["a.b=0:1:3", "c=x,2,true"]) == {"a.b": [0.0, 0.5, 1.0], "c": ["x", 2, True]}
    assert parse_vary(["a.b=0:0.5"], "lhs") == {"a.b": (0.0, 0.5)}


@pytest.mark.parametrize("items, design, message", [
    (["a.b"], "grid", "no key.path=values"),
    (["a.b=0:1"], "grid", "expected LO:HI:N or a,b,c"),
    (["a.b=0:1:x"], "grid", "positive whole number"),
    (["a.b=0:x:2"], "grid", "expected a number"),
    (["a.b=0:1:3"], "lhs", "expected LO:HI"),
    (["a.b=1,2"], "sobol", "expected LO:HI:N"),
    (["a=1,2", "a=3"], "grid", "twice"),
])
def test_parse_vary_refuses_bad_specs(items, design, message):
    with pytest.raises(ValueError, match=message):
        parse_vary(items, design)


def test_sweep_command_writes_tables_and_prints_points(tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(["sweep", DEC, "--vary", "actors.russia.erosion=0.002:0.008:2",
                 "--vary", "actors.united_states.reservation=0.3,0.45", "--runs", "6", "--seed", "4",
                 "--executor", "serial", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and "p_deal [95% CI]" in text and "4 points x 6 worlds" in text
    swept = analysis.Sweep.load(out)
    same = analysis.sweep(DEC, {"actors.russia.erosion": [0.002, 0.008],
                                "actors.united_states.reservation": [0.3, 0.45]}, runs=6, seed=4, executor="serial")
    pd.testing.assert_frame_equal(swept.points, same.points)
    assert (out / "heatmap.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["--vary", "actors.a.erosion0:1"], "--vary actors.a.erosion0:1: found no key.path=values"),
    (["--vary", "actors.a.erosion=0:1"], "expected LO:HI:N or a,b,c"),
    (["--vary", "actors.a.erosion=0:1", "--design", "sobol", "--samples", "10"], "power of 2"),
    (["--vary", "actors.zz.erosion=0,1"], "actors.zz"),
    (["--vary", "actors.a.erosion=0,1", "--runs", "0"], "runs"),
])
def test_sweep_command_bad_input_is_one_clean_error(tmp_path, capsys, argv, message):
    code = main(["sweep", PIE, *argv, "--executor", "serial", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 1 and message in err and "Traceback" not in err


def test_plot_command_on_a_run_directory(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["run", DEC, "--runs", "20", "--seed", "1", "--out", str(run)]) == 0
    assert (run / "survival.png").exists()  # written through the zopa.figures entry point
    assert main(["plot", str(run), "--kind", "timeline", "--out", str(tmp_path / "t.svg")]) == 0
    assert (tmp_path / "t.svg").stat().st_size > 5_000
    assert main(["plot", str(run), "--out", str(tmp_path / "figs")]) == 0
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == \
        ["survival.png", "terms.png", "timeline.png", "utilities.png"]
    capsys.readouterr()
    assert main(["plot", str(run), "--kind", "heatmap"]) == 1
    assert "for a run directory" in capsys.readouterr().err


def test_plot_command_on_a_sweep_directory(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", PIE, "--vary", "actors.a.erosion=0:0.05", "--vary", "actors.b.erosion=0:0.05",
                 "--design", "saltelli", "--samples", "4", "--runs", "3", "--executor", "serial",
                 "--out", str(out)]) == 0
    assert main(["plot", str(out), "--kind", "sensitivity", "--outcome", "rounds_to_zopa",
                 "--out", str(tmp_path / "s.pdf")]) == 0
    assert (tmp_path / "s.pdf").exists()
    capsys.readouterr()
    assert main(["plot", str(out), "--out", str(tmp_path / "one.png")]) == 1
    assert "expected one --kind" in capsys.readouterr().err


def test_plot_command_on_anything_else(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "found no sweep.json or record.json" in err and len(err.strip().splitlines()) == 1
