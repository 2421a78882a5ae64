"""How the ``zopa`` command behaves as a person meets it: events in ``explain``, one-line warnings, a closed
pipe, Ctrl-C, result folders that are not overwritten by accident, plurals, numbers such as ``1e-2``."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zopa import sim
from zopa.sim.cli import claim_out, main

ROOT = Path(__file__).resolve().parents[1]
PIE = str(ROOT / "scenarios" / "split-the-pie.yaml")
DEC = str(ROOT / "scenarios" / "december-2022.yaml")
OBSERVED = str(ROOT / "scenarios" / "december-2022-observed.yaml")
ZOPA = [sys.executable, "-m", "zopa"]

EVENTFUL = """
name: eventful
title: "Two parties and two events"
sources:
  s1: {title: "A source", date: 2024-01-01}
calendar: {start: 2024-01-01, step: week}
horizon: 8
issues:
  share: {range: [0, 1], unit: "share"}
actors:
  a: {weights: {share: 1}, ideal: {share: 1}, reservation: 0.0}
  b: {weights: {share: 1}, ideal: {share: 0}, reservation: 0.0}
events:
  - date: 2024-02-01
    set:
      actors.a.reservation: {uniform: [0.1, 0.3], evidence: {source: s1, quote: "at least a tenth"}}
      actors.b.reservation: 1e-2
    note: "Both harden"
    evidence: {note: "assumption"}
"""


def _eventful(tmp_path: Path) -> str:
    path = tmp_path / "eventful.yaml"
    path.write_text(EVENTFUL)
    return str(path)


# --- zopa explain on events ------------------------------------------------------------------------------

def test_explain_shows_events_as_events(tmp_path, capsys):
    assert main(["explain", _eventful(tmp_path)]) == 0
    out = capsys.readouterr().out
    events = out[out.index("Events"):]
    assert "events.0: on 2024-02-01: Both harden" in events
    assert "sets actors.a.reservation = uniform(0.1, 0.3)" in events
    assert "sets actors.b.reservation = 0.01" in events
    assert '[s1] "at least a tenth" (source dated 2024-01-01)' in events   # the value's own evidence
    assert "evidence: assumption" in events
    params = out[out.index("Parameters:"):out.index("Events")]
    assert "events." not in params and ".uniform" not in out and ".evidence" not in out
    assert f"{_listed(params)} parameters, " in out.splitlines()[-1] and "; 1 event, 0 without evidence" in out


def _listed(section: str) -> int:
    """Parameters listed in explain's Parameters section (one ``  path = value`` line each)."""
    return sum(re.match(r"^  \S+ = ", line) is not None for line in section.splitlines())


def test_explain_counts_only_parameters_as_parameters(capsys):
    assert main(["explain", OBSERVED]) == 0
    out = capsys.readouterr().out
    params = out[out.index("Parameters:"):out.index("Events")]
    events = len(sim.load_scenario(OBSERVED).events)
    assert events >= 2
    assert f"{_listed(params)} parameters, " in out.splitlines()[-1] and f"{events} events, 0 without evidence" in out
    assert "sets battlefield.p_a = triangular(0.3, 0.6, 0.9)" in out


# --- warnings as one line --------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["explain", PIE, "--set", "actors.a.reservation=1.5"],
    ["run", PIE, "--runs", "3", "--seed", "1", "--set", "actors.a.reservation=1.5"],
    ["sweep", PIE, "--vary", "actors.a.reservation=1.5,1.6", "--runs", "2", "--executor", "serial"],
])
def test_warnings_print_as_one_line(argv, tmp_path):
    if argv[0] == "sweep":
        argv = argv + ["--out", str(tmp_path / "sweep")]
    done = subprocess.run(ZOPA + argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("zopa: warning: ") for line in lines), done.stderr
    assert any("reservation above 1" in line for line in lines)


# --- a closed pipe, Ctrl-C -------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", [DEC, PIE])   # output larger and smaller than the pipe's buffer
def test_a_reader_that_has_gone_ends_the_command_quietly(scenario):
    process = subprocess.Popen(ZOPA + ["explain", scenario], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()   # as `| head -0` does
    err = process.stderr.read().decode()
    assert process.wait(timeout=300) == 1 and err == ""


def test_head_one_line_is_quiet():
    done = subprocess.run(f"{sys.executable} -m zopa explain {DEC} | head -1", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.startswith("Russia, Ukraine") and done.stderr == ""


def test_ctrl_c_during_the_start_up_imports_exits_130_without_traceback():
    """A KeyboardInterrupt raised as Mesa is imported (what Ctrl-C during start-up does)."""
    code = ("import sys\n"
            "class Interrupt:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'mesa':\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, Interrupt())\n"
            "from zopa.sim.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", code, "run", PIE, "--runs", "2"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 130 and done.stderr.strip() == "zopa: interrupted", done.stderr


def _default_sigint() -> None:
    """In the child: Ctrl-C as a terminal delivers it. A process started with SIGINT ignored or blocked (as
    a library's helper process started earlier in this test process may leave it) passes that on, and
    Python then never raises KeyboardInterrupt, so the run would simply finish."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_ctrl_c_during_a_run_exits_130_without_traceback():
    process = subprocess.Popen(ZOPA + ["run", DEC, "--runs", "20000", "--seed", "1", "--progress"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_default_sigint)
    waited = time.monotonic()
    while process.stderr.read(1) != b"[" and time.monotonic() - waited < 300:   # the progress bar: running
        pass
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 130 and "Traceback" not in err.decode()
    assert err.decode().rstrip().endswith("zopa: interrupted")


# --- result folders ---------------------------------------------------------------------------------------

def test_run_refuses_to_overwrite_an_earlier_result_unless_forced(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", PIE, "--runs", "3", "--seed", "1", "--out", str(out)]) == 0
    assert (out / "history.parquet").exists()
    before = (out / "outcomes.parquet").read_bytes()
    capsys.readouterr()
    assert main(["run", PIE, "--runs", "4", "--seed", "2", "--out", str(out)]) == 1
    assert "add --force" in capsys.readouterr().err
    assert (out / "outcomes.parquet").read_bytes() == before
    assert main(["run", PIE, "--runs", "4", "--seed", "2", "--no-history", "--out", str(out), "--force"]) == 0
    assert not (out / "history.parquet").exists()   # the earlier run's table is gone, not read back
    from zopa import sim
    assert len(sim.Results.load(out).outcomes) == 4 and sim.Results.load(out).history is None


def test_why_refuses_to_overwrite_an_earlier_result_unless_forced(tmp_path, capsys):
    out = tmp_path / "why"
    argv = ["why", PIE, "--runs", "3", "--seed", "1", "--set", "actors.a.reservation=0.7",
            "--set", "actors.b.reservation=0.4", "--out", str(out)]
    assert main(argv) == 0
    assert main(argv) == 1 and "add --force" in capsys.readouterr().err
    assert main(argv + ["--force"]) == 0 and (out / "why.json").exists()


def test_a_folder_of_other_files_is_never_emptied(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "table.parquet").write_text("mine too")
    assert main(["run", PIE, "--runs", "3", "--out", str(tmp_path), "--force"]) == 1
    assert "other files" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "table.parquet").exists()


def test_claim_out_keeps_what_zopa_did_not_write(tmp_path):
    (tmp_path / "record.json").write_text("{}")
    (tmp_path / "old.png").write_text("")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="add --force"):
        claim_out(tmp_path, force=False)
    assert claim_out(tmp_path, force=True, clear=False) == tmp_path and (tmp_path / "old.png").exists()
    claim_out(tmp_path, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    with pytest.raises(ValueError, match="found a file"):
        claim_out(tmp_path / "notes.txt", force=True)


# --- plurals, numbers --------------------------------------------------------------------------------------

def test_counts_agree_with_their_nouns(tmp_path, capsys):
    from zopa.sim.cli import _count

    assert [_count(n, "figure") for n in (0, 1, 2, 1234)] == ["0 figures", "1 figure", "2 figures", "1,234 figures"]
    assert main(["explain", _eventful(tmp_path)]) == 0
    assert "; 1 event, " in capsys.readouterr().out
    assert main(["sweep", PIE, "--vary", "actors.a.reservation=0.1", "--runs", "1", "--executor", "serial",
                 "--out", str(tmp_path / "s")]) == 0
    assert f"Sweep saved to {tmp_path / 's'}/ (1 point x 1 world, 1 figure)" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["1e-2", "1E-2", "0.1e-1", "+1e-2"])
def test_exponents_are_numbers_in_set_vary_and_files(text, tmp_path, capsys):
    from zopa.analysis.cli import parse_vary
    from zopa.sim.cli import parse_sets
    from zopa.sim.scenario.yamlsource import dump_yaml, parse_yaml

    assert parse_sets([f"actors.a.reservation={text}"]) == {"actors.a.reservation": 0.01}
    assert parse_vary([f"actors.a.reservation={text},2e-2"]) == {"actors.a.reservation": [0.01, 0.02]}
    assert parse_yaml(f"x: {text}", "f")[0] == {"x": 0.01}
    assert parse_yaml(dump_yaml({"x": text}), "f")[0] == {"x": text}   # text stays text through a round trip
    assert main(["explain", PIE, "--set", f"actors.a.reservation={text}"]) == 0
    assert "actors.a.reservation = 0.01" in capsys.readouterr().out


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Python 3.12 added the warning")
def test_a_process_pool_sweep_gives_no_fork_warning(tmp_path):
    done = subprocess.run([sys.executable, "-W", "default", "-m", "zopa", "sweep", PIE,
                           "--vary", "actors.a.reservation=0,0.1", "--runs", "2", "--workers", "2",
                           "--out", str(tmp_path / "s")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "fork()" not in done.stderr, done.stderr


# --- the run summary ---------------------------------------------------------------------------------------

def test_run_summary_gives_units_bases_and_intervals(capsys):
    from zopa import sim
    from zopa.sim.stats import date_spread, spread, wilson

    assert main(["run", PIE, "--runs", "40", "--seed", "3", "--set", "actors.a.reservation={uniform: [0, 0.6]}",
                 "--set", "protocol=alternating-offers"]) == 0
    out = capsys.readouterr().out
    o = sim.simulate(sim.load_scenario(PIE, {"actors.a.reservation": {"uniform": [0, 0.6]},
                                             "protocol": "alternating-offers"}), runs=40, seed=3).outcomes
    deals = int(o["agreed"].sum())
    p, lo, hi = wilson(deals, 40)
    assert f"deal struck                 {100 * p:5.1f}%  of 40 worlds [{100 * lo:.1f}%, {100 * hi:.1f}%]" in out
    mid, first, last = date_spread(o["agreement_date"])
    assert (f"(median date {mid.date()} over the {deals} worlds with a deal; 10-90% {first.date()} to "
            f"{last.date()})") in out
    m, t_lo, t_hi = spread(o.loc[o["agreed"], "terms.share"])
    assert f"median terms of the {deals} deals [10-90% range], in each issue's unit:" in out
    assert f"  share            {m:.3g} [{t_lo:.3g}, {t_hi:.3g}]  share" in out


def test_date_spread_gives_dates_that_happened():
    import pandas as pd
    from zopa.sim.stats import date_spread

    dates = pd.Series(pd.to_datetime(["2024-01-01", None, "2024-03-01", "2024-02-01", "2024-05-01"]))
    assert [t.date().isoformat() for t in date_spread(dates)] == ["2024-02-01", "2024-01-01", "2024-03-01"]
    assert all(pd.isna(t) for t in date_spread(pd.Series(pd.to_datetime([None]))))


@pytest.mark.parametrize("command", ["backtest", "calibrate"])
def test_backtest_and_calibrate_refuse_an_earlier_result_without_force(command, tmp_path, capsys):
    data = ROOT / "tests" / "data"
    argv = [command, str(data / "beta-battles.yaml"), "--observations", str(data / "beta-battles-observations.yaml"),
            "--runs", "200", "--seed", "1", "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(argv) != 0
    assert "add --force to replace them" in capsys.readouterr().err
    stale = tmp_path / "out" / "stale.png"
    stale.write_bytes(b"")
    assert main(argv + ["--force"]) == 0 and not stale.exists()
