"""The ``zopa`` command line: validate, explain, run scenarios and say why no deal.

Other packages add subcommands through the entry-point group ``zopa.commands`` (a function
``register(subparsers)``) and figures written after ``zopa run`` through ``zopa.figures`` (a function
``write(results, out_dir) -> list[Path]``) and after ``zopa why`` through ``zopa.why_figures`` (the same,
with the :class:`~sim.why.Why` diagnosis); ``sim`` itself never imports them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import warnings
from importlib.metadata import entry_points
from pathlib import Path
from typing import Sequence

from .scenario.errors import Problem, ScenarioError, printable
from .scenario.explain import explain
from .scenario import load_scenario
from .scenario.yamlsource import parse_value

__all__ = ["main", "parse_sets", "terminal", "Progress"]


def parse_sets(items: Sequence[str] | None) -> dict:
    """``["a.b=1", ...]`` -> ``{"a.b": 1}``; values are read as YAML (bounded: see ``parse_value``).

    Raises
    ------
    ScenarioError
        Listing every item without ``=`` and every value too long, too deep or too large.
    """
    out, problems = {}, []
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            problems.append(Problem("--set", None, item[:80], "found no '=', expected key.path=value"))
            continue
        try:
            out[key.strip()] = parse_value(value, key=key.strip())
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return out


def terminal(text: str) -> str:
    """``text`` with every control character but newlines escaped, so user text (a title, a label)
    cannot move the cursor, recolour or clear the terminal."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


def _out(text: str = "", *, file=None) -> None:
    print(terminal(text), file=file or sys.stdout)


class Progress:
    """A one-line progress bar on ``stream``: round, live worlds and time, redrawn at most 10 times a second.

    Shown when forced, or by default on a terminal once the run has taken a second (short runs print
    nothing)."""

    def __init__(self, stream, *, force: bool | None = None, width: int = 30):
        self.stream, self.width = stream, width
        self.show = force if force is not None else stream.isatty()
        self.forced = force is True
        self.start = self.last = time.perf_counter()
        self.last -= 1.0
        self.drawn = False

    def __call__(self, rnd: int, horizon: int, live: int) -> None:
        now = time.perf_counter()
        if not self.show or (now - self.start < 1.0 and not self.forced) or now - self.last < 0.1:
            return
        self.last, self.drawn = now, True
        done = int(self.width * rnd / max(horizon, 1))
        self.stream.write(f"\r[{'#' * done}{'.' * (self.width - done)}] round {rnd}/{horizon}, "
                          f"{live:,} worlds negotiating, {now - self.start:.0f} s ")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _cmd_validate(args: argparse.Namespace) -> int:
    """Every file is checked, and every problem of every file reported, before the exit status."""
    status = 0
    try:
        overrides = parse_sets(args.set)
    except ScenarioError as exc:   # reported, and every file still checked (without the --set values)
        _out(str(exc), file=sys.stderr)
        overrides, status = {}, 1
    for path in args.files:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                scenario = load_scenario(path, overrides)
            for w in caught:
                _out(f"warning: {w.message}", file=sys.stderr)
            if _hindsight(scenario, strict=args.strict):
                status = 1
                continue
            _out(f"{path}: valid")
        except ScenarioError as exc:
            _out(str(exc), file=sys.stderr)
            status = 1
    return status


def _hindsight(scenario, *, strict: bool) -> bool:
    """Print sources dated after the start outside scripted history; True if that makes the file invalid."""
    from .scenario.hindsight import hindsight

    found = hindsight(scenario)
    for problem in found:
        _out(f"{'' if strict else 'warning: '}{problem}", file=sys.stderr)
    return strict and bool(found)


def _cmd_explain(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, parse_sets(args.set))
    _out(explain(scenario))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .results import summary_text
    from .simulate import simulate

    scenario = load_scenario(args.scenario, parse_sets(args.set))
    command = "zopa " + " ".join(sys.argv[1:]) if sys.argv[1:] else "zopa run"
    bar = Progress(sys.stderr, force=args.progress)
    results = simulate(scenario, runs=args.runs, seed=args.seed, history=args.history, progress=bar)
    bar.close()
    _out(summary_text(results))
    if args.out is not None:
        out = Path(args.out)
        results.save(out, command=command)
        written = []
        for ep in entry_points(group="zopa.figures"):
            written += ep.load()(results, out)
        _out(f"\nResults saved to {out}/" + (f" with {len(written)} figures" if written else ""))
    return 0


def _cmd_why(args: argparse.Namespace) -> int:
    from .why import why

    scenario = load_scenario(args.scenario, parse_sets(args.set))
    result = why(scenario, round=args.round, date=args.date, runs=args.runs, seed=args.seed)
    print(result.text())
    if args.out is not None:
        out = Path(args.out)
        result.save(out)
        written = []
        for ep in entry_points(group="zopa.why_figures"):
            written += ep.load()(result, out)
        print(f"\nTables saved to {out}/" + (f" with {len(written)} figures" if written else ""))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zopa", description="Conflict-negotiation position simulator.")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check scenario files; exit 1 with every problem if any is invalid")
    v.add_argument("files", nargs="+")
    v.add_argument("--set", action="append", metavar="KEY.PATH=VALUE")
    v.add_argument("--strict", action="store_true",
                   help="sources dated after the start outside scripted history (events) are errors, not warnings")
    v.set_defaults(func=_cmd_validate)
    e = sub.add_parser("explain", help="print every parameter with its value and evidence")
    e.add_argument("scenario")
    e.add_argument("--set", action="append", metavar="KEY.PATH=VALUE")
    e.set_defaults(func=_cmd_explain)
    r = sub.add_parser("run", help="simulate a scenario and print a summary")
    r.add_argument("scenario")
    r.add_argument("--runs", type=int, default=1000, help="worlds to simulate (default 1000)")
    r.add_argument("--seed", type=int, default=None, help="seed; the same seed gives identical output")
    r.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="override a parameter")
    r.add_argument("--out", default=None, help="directory for Parquet tables, record and figures")
    r.add_argument("--history", action=argparse.BooleanOptionalAction, default=True,
                   help="keep one row per world and round (default: yes); --no-history saves memory on large runs")
    r.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: on a terminal, once a run takes more than a second)")
    r.set_defaults(func=_cmd_run)
    y = sub.add_parser("why", help="why no deal: what binds, and the smallest concessions that open the zone")
    y.add_argument("scenario")
    when = y.add_mutually_exclusive_group()
    when.add_argument("--round", type=int, default=None, help="round to diagnose (default 0, as written)")
    when.add_argument("--date", default=None, help="diagnose the round in force on this date (YYYY-MM-DD)")
    y.add_argument("--runs", type=int, default=1000, help="worlds to simulate (default 1000)")
    y.add_argument("--seed", type=int, default=None, help="seed; the same seed gives identical output")
    y.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="override a parameter")
    y.add_argument("--out", default=None, help="directory for the Parquet tables and the figure")
    y.set_defaults(func=_cmd_why)
    for ep in entry_points(group="zopa.commands"):
        ep.load()(sub)
    return p


def _describe_os_error(exc: OSError) -> str:
    """``path: reason`` for a disk error (a full disk names the file it could not write)."""
    where = ": ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason


class _Terminated(Exception):
    """SIGTERM, raised in the main thread so files are cleaned up and locks released on the way out."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised by a subprocess test
    raise _Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        _out(str(exc), file=sys.stderr)
        return 1
    except BrokenPipeError:
        sys.stderr.close()   # the reader (| head) has gone: nothing left to say, and nowhere to say it
        return 1
    except OSError as exc:
        _out(f"zopa: error: {_describe_os_error(exc)}", file=sys.stderr)
        return 1
    except (ValueError, OverflowError) as exc:
        _out(f"zopa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("zopa: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("zopa: terminated", file=sys.stderr)
        return 143
    except Exception as exc:  # a bug, not bad input: one line, and the details on request
        if os.environ.get("ZOPA_DEBUG"):
            raise
        _out(f"zopa: internal error ({type(exc).__name__}: {exc}); rerun with ZOPA_DEBUG=1 for details "
             "and please report it", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
