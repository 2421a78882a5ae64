"""The scripts in docs/ run: the erosion-vs-aid example and the gallery generator (tiny runs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args: str, env: dict | None = None) -> str:
    done = subprocess.run([sys.executable, str(ROOT / script), *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sweep_erosion_vs_aid_example(tmp_path):
    text = run("docs/examples/sweep_erosion_vs_aid.py", "--out", str(tmp_path), "--workers", "2",
               env={"ZOPA_EXAMPLE_RUNS": "6", "ZOPA_EXAMPLE_STEPS": "2"})
    assert "highest chance of a deal" in text
    assert (tmp_path / "erosion-vs-aid.png").stat().st_size > 5_000
    assert (tmp_path / "sweep" / "points.parquet").exists()


def test_gallery_is_generated_from_every_scenario(tmp_path):
    run("docs/make_gallery.py", "--out", str(tmp_path), "--runs", "10")
    page = (tmp_path / "gallery.md").read_text()
    for scenario in (ROOT / "scenarios").glob("*.yaml"):
        assert f"## {scenario.stem}" in page
        assert (tmp_path / "gallery" / scenario.stem / "survival.png").stat().st_size > 5_000
    linked = [line.split("](")[1].rstrip(")") for line in page.splitlines() if line.startswith("![")]
    assert linked and all((tmp_path / p).exists() for p in linked)


def test_december_2022_dynamics_example():
    text = run("docs/examples/december_2022_dynamics.py", env={"ZOPA_EXAMPLE_RUNS": "200"})
    assert "as written" in text and "every cost doubled" in text
    assert "on a scripted event or a fixed threshold" in text and "Monte Carlo error" in text
