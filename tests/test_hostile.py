"""Hostile, malformed and extreme input: every case is refused up front, located, in one line.

Each row is a scenario the reader once accepted and computed wrongly (or crashed on): the CLI must
exit 1 with ``file:line: dotted.path: found X, expected Y``, never a traceback or an internal error.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zopa import analysis, sim
from zopa.analysis.cli import parse_vary
from zopa.sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = """\
name: hostile
title: Split a unit
calendar: {start: 2024-01-01, step: month}
horizon: 6
issues:
  share: {range: [0, 1]}
  status: {levels: [low, mid, high]}
actors:
  a:
    weights: {share: 1, status: 1}
    ideal: {share: 1, status: high}
    reservation: 0.1
  b:
    weights: {share: 1, status: 1}
    ideal: {share: 0, status: low}
    reservation: 0.1
"""
BATTLE = "battlefield: {side_a: [a], side_b: [b], p_a: 0.5, battles_per_round: 1}\n"
WAR_A = "    reservation: {war: {win_probability: 0.5, cost: 0.1}}\n"


def text(*edits: tuple[str, str], extra: str = "") -> str:
    out = BASE
    for old, new in edits:
        assert old in out, old
        out = out.replace(old, new, 1)
    return out + extra


# (id, YAML text, dotted path of the problem, words the message must hold)
CASES = [
    ("impossible-date", text(("2024-01-01", "2024-02-30")), "calendar.start", "day is out of range for month"),
    ("timestamp-tag", text(("2024-01-01", "!!timestamp hello")), "calendar.start",
     "found 'hello', expected a real calendar date"),
    ("date-as-number", text(("2024-01-01", "0")), "calendar.start", "found 0, expected a date"),
    ("date-with-time", text(("2024-01-01", "2024-01-01 10:00:00")), "calendar.start", "date and time"),
    ("horizon-text", text(("horizon: 6", 'horizon: "12"')), "horizon",
     "found '12', expected a valid integer (a number in quotes"),
    ("horizon-boolean", text(("horizon: 6", "horizon: true")), "horizon", "YAML 1.1"),
    ("horizon-past-9999",
     text(("2024-01-01, step: month", "9900-01-01, step: week"), ("horizon: 6", "horizon: 100000")),
     "horizon", "after 9999-12-31"),
    ("levels-as-set", text(("levels: [low, mid, high]", "levels: !!set {low, mid, high}")), "issues.status.levels",
     "unordered !!set"),
    ("levels-yes-no", text(("levels: [low, mid, high]", "levels: [yes, no, maybe]")), "issues.status.levels.0",
     "found True, expected a valid string (YAML 1.1 reads unquoted yes"),
    ("weights-overflow", text(("weights: {share: 1, status: 1}", "weights: {share: 1.0e+308, status: 1.0e+308}")),
     "actors.a.weights.share", "expected a number between"),
    ("weights-all-zero-in-a-draw",
     text(("weights: {share: 1, status: 1}", "weights: {share: {choice: [0, 1]}, status: {choice: [0, 1]}}")),
     "actors.a.weights", "can all be zero in one world"),
    ("range-infinite", text(("range: [0, 1]", "range: [0, .inf]")), "issues.share.range.1", "found inf"),
    ("range-absurd", text(("range: [0, 1]", "range: [-1.0e+308, 1.0e+308]")), "issues.share.range.0",
     "expected a number between"),
    ("integer-of-400-digits", text(("reservation: 0.1", "reservation: 1" + "0" * 400)), "actors.a.reservation",
     "digits"),
    ("erosion-overflow", text(extra="    erosion: {uniform: [-1.0e+308, 1.0e+308]}\n"), "actors.b.erosion",
     "expected a number between"),
    ("battles-1e30", text(extra=BATTLE.replace("battles_per_round: 1", "battles_per_round: 1e30")),
     "battlefield.battles_per_round", "found 1e+30, expected a valid integer"),   # 1e30 is a number, as in YAML 1.2
    ("battles-1.0e+30", text(extra=BATTLE.replace("battles_per_round: 1", "battles_per_round: 1.0e+30")),
     "battlefield.battles_per_round", "found 1e+30"),
    ("battles-too-many", text(extra=BATTLE.replace("battles_per_round: 1", "battles_per_round: 10000000")),
     "battlefield.battles_per_round", "less than or equal to 1000000"),
    ("dotted-actor-id", text(("  a:\n", "  a.weights:\n")), "actors.a.weights", "rename it, e.g. 'a_weights'"),
    ("dotted-issue-id", text(("share: {range", "weights.c: {range"), ("{share: 1, status: 1}\n    ideal: {share: 1",
                             "{weights.c: 1, status: 1}\n    ideal: {weights.c: 1")),
     "issues.weights.c", "found issue id 'weights.c'"),
    ("colour", text(("  a:\n", "  a:\n    color: notacolour\n")), "actors.a.color", "found colour 'notacolour'"),
    ("war-cost-on-a-fixed-reservation",
     text(extra="events:\n  - {date: 2024-03-01, set: {actors.a.reservation.war.cost: 0.2}}\n"),
     "events.0.set.actors.a.reservation.war.cost", "changes nothing"),
    ("war-cost-after-a-fixed-reservation",
     text(("ideal: {share: 1, status: high}\n    reservation: 0.1\n", "ideal: {share: 1, status: high}\n" + WAR_A),
          extra="events:\n  - {date: 2024-02-01, set: {actors.a.reservation: 0.2}}\n"
                "  - {date: 2024-03-01, set: {actors.a.reservation.war.cost: 0.2}}\n"),
     "events.1.set.actors.a.reservation.war.cost", "sets to a number"),
    ("concession-step-text", text(extra="concession_step: '0.5'\n"), "concession_step", "found '0.5'"),
]


@pytest.mark.parametrize("yaml_text, path, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_scenario_is_refused_located(tmp_path, capsys, yaml_text, path, words):
    file = tmp_path / "bad.yaml"
    file.write_text(yaml_text, encoding="utf-8")
    assert main(["validate", str(file)]) == 1
    err = capsys.readouterr().err
    located = re.findall(rf"^{re.escape(str(file))}:\d+: {re.escape(path)}: (found .*)$", err, re.M)
    assert any(words in message for message in located), err
    assert "internal error" not in err and "Traceback" not in err
    with pytest.raises(sim.ScenarioError):
        sim.load_scenario(file)


def test_the_base_of_the_table_is_valid(tmp_path):
    """Each row above is refused for its edit alone."""
    file = tmp_path / "good.yaml"
    file.write_text(BASE)
    assert sim.load_scenario(file).horizon == 6


# ------------------------------------------------------------------------------ the calendar

@pytest.mark.parametrize("start, step, horizon", [("1600-01-01", "month", 12), ("0001-01-01", "week", 10),
                                                  ("9999-01-31", "month", 11)])
def test_any_historical_date_runs_with_true_dates(tmp_path, start, step, horizon):
    file = tmp_path / "old.yaml"
    file.write_text(text(("2024-01-01, step: month", f"{start}, step: {step}"), ("horizon: 6", f"horizon: {horizon}")))
    results = sim.simulate(sim.load_scenario(file), runs=20, seed=1)
    expected = sim.model.worlds.round_dates(pd.Timestamp(start).date() if start > "1677" else
                                            __import__("datetime").date.fromisoformat(start), step, horizon + 1)
    dates = results.history["date"].to_numpy().astype("datetime64[D]")
    assert set(dates) <= set(expected) and dates.min() == expected[0]
    deals = results.outcomes.dropna(subset=["agreement_round"])
    assert len(deals)
    assert (deals["agreement_date"].to_numpy().astype("datetime64[D]")
            == expected[deals["agreement_round"].to_numpy(dtype=int)]).all()
    results.save(tmp_path / "out")
    loaded = sim.Results.load(tmp_path / "out")
    pd.testing.assert_frame_equal(loaded.outcomes, results.outcomes)
    assert main(["run", str(file), "--runs", "5", "--seed", "1"]) == 0


# ------------------------------------------------------------------------------ files that are not scenarios

def _validate(capsys, *args) -> tuple[int, str]:
    code = main(["validate", *map(str, args)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("content, words", [
    ("name: café\n".encode("latin-1"), "found a byte that is not UTF-8 (0xe9 on line 1), expected UTF-8"),
    ("name: x\n".encode("utf-16"), "found UTF-16 text, expected UTF-8"),
    (b"\x7fELF\x02\x01\x00\x00", "found binary data"),
    (b"a: " + b"x" * 6_000_000, "found a file larger than"),
], ids=["latin-1", "utf-16", "binary", "oversized"])
def test_files_that_are_not_utf8_scenarios_name_the_file(tmp_path, capsys, content, words):
    file = tmp_path / "bad.yaml"
    file.write_bytes(content)
    code, err = _validate(capsys, file)
    assert code == 1 and err.startswith(f"{file}: <top>: {words}"), err


def test_devices_and_directories_are_refused_at_once(tmp_path, capsys):
    code, err = _validate(capsys, "/dev/zero", tmp_path)
    assert code == 1
    assert "/dev/zero: <top>: found a device, expected a regular YAML file" in err
    assert f"{tmp_path}: <top>: found a directory" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    code = "import sys; from zopa.sim.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, "validate", str(fifo)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1 and f"{fifo}: <top>: found a FIFO" in proc.stderr


def test_validate_reports_every_file(tmp_path, capsys):
    bad, good, worse = tmp_path / "bad.yaml", tmp_path / "good.yaml", tmp_path / "worse.yaml"
    bad.write_text(text(("2024-01-01", "2024-02-30")))
    good.write_text(BASE)
    worse.write_bytes("x: é".encode("latin-1"))
    code = main(["validate", str(bad), str(good), str(worse)])
    out, err = capsys.readouterr()
    assert code == 1 and f"{good}: valid" in out
    assert f"{bad}:3: calendar.start:" in err and f"{worse}: <top>: found a byte that is not UTF-8" in err


# ------------------------------------------------------------------------------ --set and --vary

def _laughs(depth: int) -> str:
    anchors = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    anchors += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, depth)]
    return "{" + ", ".join(anchors) + "}"


@pytest.mark.parametrize("value, words", [
    (_laughs(9), "found more than 100000 values (aliases)"),
    ("[" * 3000 + "]" * 3000, "found nesting deeper than"),
    ("[" * 150 + "]" * 150, "found nesting deeper than 100 levels"),
    ("!!set {a, b}", "found an unordered !!set"),
    ("x" * 200_000, "found a value of 200,000 characters"),
    ("2024-02-30", "day is out of range for month"),
], ids=["billion-laughs", "3000-deep", "150-deep", "set", "too-long", "impossible-date"])
def test_set_values_are_bounded_and_located(tmp_path, capsys, value, words):
    file = tmp_path / "good.yaml"
    file.write_text(BASE)
    code, err = _validate(capsys, file, "--set", f"actors.a.reservation={value}")
    assert code == 1 and err.startswith("--set: actors.a.reservation") and words in err, err[:300]
    assert "internal error" not in err


def test_a_huge_vary_grid_is_refused_before_it_is_built(tmp_path):
    with pytest.raises(ValueError, match=r"found N=10,000,000,000, expected at most 1,000,000"):
        parse_vary(["actors.a.erosion=0:0.1:10000000000"])
    vary = {"actors.a.erosion": np.linspace(0, 0.1, 100_000), "actors.b.erosion": np.linspace(0, 0.1, 100_000)}
    with pytest.raises(ValueError, match=r"grid design of 10,000,000,000 points \(100000 x 100000\).*fewer values"):
        analysis.sweep(ROOT / "scenarios" / "split-the-pie.yaml", vary, runs=1, executor="serial")
    with pytest.raises(ValueError, match=r"lhs design of 10,000,000,000 points.*fewer samples"):
        analysis.sweep(ROOT / "scenarios" / "split-the-pie.yaml", {"actors.a.erosion": (0, 0.1)}, design="lhs",
                       samples=10_000_000_000, runs=1, executor="serial")


# ------------------------------------------------------------------------------ output

def test_a_full_disk_names_the_file(tmp_path, capsys, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    file = tmp_path / "good.yaml"
    file.write_text(BASE)
    monkeypatch.setattr(os, "fsync", full)
    code = main(["run", str(file), "--runs", "3", "--seed", "1", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and f"zopa: error: {tmp_path / 'out'}/outcomes.parquet: No space left on device" in err
    assert not list((tmp_path / "out").glob("*"))


def test_terminal_escapes_in_user_text_are_shown_not_run(tmp_path, capsys):
    file = tmp_path / "ansi.yaml"
    file.write_text(text(("title: Split a unit", 'title: "\\e[2J\\e[31mred\\e[0m"')))
    assert main(["run", str(file), "--runs", "3", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2J\\x1b[31mred\\x1b[0m" in out
    assert main(["explain", str(file)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred" in out


def test_every_accepted_colour_is_one_matplotlib_draws():
    from matplotlib.colors import is_color_like
    from zopa.sim.scenario.colours import CSS_NAMES, TABLEAU, parse_colour
    names = sorted(CSS_NAMES | TABLEAU) + ["#abc", "#A1B2C3", "#a1b2c3d4", "C0", "C9", "SteelBlue"]
    assert all(parse_colour(c) == c and is_color_like(c) for c in names)
    for bad in ("notacolour", "#12", "#ggg", "C10", 3):
        with pytest.raises(ValueError, match="expected #rrggbb"):
            parse_colour(bad)


# ------------------------------------------------------------------------------ reproducibility

def test_tables_do_not_depend_on_the_hash_seed(tmp_path):
    """Levels, actors and issues keep the file's order whatever Python's hash seed (sets are refused)."""
    code = "import sys; from zopa.sim.cli import main; sys.exit(main(sys.argv[1:]))"
    file = tmp_path / "case.yaml"
    file.write_text(BASE)
    tables = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"out-{hash_seed}"
        subprocess.run([sys.executable, "-c", code, "run", str(file), "--runs", "30", "--seed", "5", "--out", str(out)],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        tables.append([(out / name).read_bytes() for name in ("outcomes.parquet", "history.parquet")])
    assert tables[0] == tables[1]
