"""benchmarks/against.py times the code of the commit it is given, not the code installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_against_times_both_trees_and_prints_their_ratio():
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    done = subprocess.run([sys.executable, "benchmarks/against.py", head, "--worlds", "40", "--rounds", "1",
                           "--repeat", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "scenarios/december-2022.yaml, 40 worlds, 1 rounds in rotation, best of 1 a run"
    assert lines[1].strip().startswith("here:") and lines[2].strip().startswith(f"{head}:")
    assert lines[3].startswith(f"  ratio here / {head}: ")


def test_against_refuses_what_is_not_a_commit():
    done = subprocess.run([sys.executable, "benchmarks/against.py", "no-such-commit", "--worlds", "40"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "no-such-commit" in done.stderr
