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
from pathlib import Path
from typing import Sequence

from . import __version__
from .scenario.errors import Problem, ScenarioError, printable

# Only the standard library and two small modules above: ``zopa --help`` and ``zopa --version`` start at
# once, and a Ctrl-C during the heavy imports (Mesa, pandas, matplotlib) lands inside ``main``, where it is
# caught. Each command imports what it needs when it runs.

__all__ = ["main", "parse_sets", "terminal", "Progress", "claim_out", "warn"]


def parse_sets(items: Sequence[str] | None) -> dict:
    """``["a.b=1", ...]`` -> ``{"a.b": 1}``; values are read as YAML (bounded: see ``parse_value``).

    Raises
    ------
    ScenarioError
        Listing every item without ``=`` and every value too long, too deep or too large.
    """
    from .scenario.yamlsource import parse_value

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


def warn(message) -> None:
    """Print a warning as one line, ``zopa: warning: ...``, on standard error."""
    _out(f"zopa: warning: {message}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for the command: the message alone, never a source line."""
    warn(message)


def _load(path, sets):
    from .scenario import load_scenario

    return load_scenario(path, parse_sets(sets))


def _cmd_validate(args: argparse.Namespace) -> int:
    """Every file is checked, and every problem of every file reported, before the exit status."""
    status = 0
    try:
        overrides = parse_sets(args.set)
    except ScenarioError as exc:   # reported, and every file still checked (without the --set values)
        _out(str(exc), file=sys.stderr)
        overrides, status = {}, 1
    from .scenario import load_scenario

    for path in args.files:
        try:
            scenario = load_scenario(path, overrides)
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
        if strict:
            _out(str(problem), file=sys.stderr)
        else:
            warn(problem)
    return strict and bool(found)


def _cmd_explain(args: argparse.Namespace) -> int:
    from .scenario.explain import explain

    _out(explain(_load(args.scenario, args.set)))
    return 0


_MARKERS = ("record.json", "why.json", "sweep.json", "summary.json",   # a folder zopa wrote
            "scores.parquet", "accepted.parquet")
_WRITTEN = (".parquet", ".json", ".png", ".svg", ".pdf", ".yaml")      # the files it writes there


def claim_out(directory, *, force: bool, clear: bool = True) -> Path:
    """Check that results may be written to ``directory``; return it as a Path.

    A new or empty folder is taken as it is. A folder holding an earlier result is refused unless
    ``force``, and then (with ``clear``) the files zopa writes there (tables, records, figures) are
    removed, so that no stale table (a ``history.parquet`` from an earlier run with history, say) is read
    back with the new ones. A folder of other files is never emptied. Commands call it once with
    ``clear=False`` before they compute, to fail early, and once more just before they write.

    Raises
    ------
    ValueError
        If the folder is a file, holds other files, or holds an earlier result without ``force``.
    """
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise ValueError(f"--out {d}: found a file, expected a folder for the results")
    if not d.exists() or not any(d.iterdir()):
        return d
    if not any((d / m).exists() for m in _MARKERS):
        raise ValueError(f"--out {d}: found a folder with other files, expected a new or empty folder "
                         "(zopa replaces only its own results)")
    if not force:
        raise ValueError(f"--out {d}: found the results of an earlier run, expected a new folder "
                         "(add --force to replace them)")
    for f in d.iterdir() if clear else ():
        if f.is_file() and f.suffix.lower() in _WRITTEN:
            f.unlink()
    return d


def _cmd_run(args: argparse.Namespace) -> int:
    from .simulate import simulate

    if args.out is not None:
        claim_out(args.out, force=args.force, clear=False)
    scenario = _load(args.scenario, args.set)
    command = "zopa " + " ".join(sys.argv[1:]) if sys.argv[1:] else "zopa run"
    bar = Progress(sys.stderr, force=args.progress)
    stream = _history_stream(args, scenario)
    try:
        results = simulate(scenario, runs=args.runs, seed=args.seed, history=args.history, history_path=stream,
                           progress=bar)
        bar.close()
        _run_out(args, results, command)
    finally:
        if stream is not None:
            stream.unlink(missing_ok=True)      # moved into --out when the results were saved
    return 0


def _history_stream(args: argparse.Namespace, scenario) -> Path | None:
    """Where a large run's history is streamed as rounds complete (beside --out, moved in when saved):
    past ``STREAM_ROWS`` rows of history it is not held in memory; None otherwise."""
    from .simulate import STREAM_ROWS

    if args.out is None or not args.history or args.runs * (scenario.horizon + 1) <= STREAM_ROWS:
        return None
    out = Path(args.out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent / f".{out.name}.history.{os.getpid()}.parquet"


def _run_out(args: argparse.Namespace, results, command: str) -> None:
    """Print the summary and save the results (and figures) into --out."""
    from importlib.metadata import entry_points
    from .results import summary_text

    _out(summary_text(results))
    if args.out is not None:
        out = claim_out(args.out, force=args.force)   # stale files go only once the new results exist
        results.save(out, command=command)
        written = []
        for ep in entry_points(group="zopa.figures"):
            written += ep.load()(results, out)
        _out(f"\nResults saved to {out}/" + (f" with {_count(len(written), 'figure')}" if written else ""))


def _count(n: int, noun: str) -> str:
    """``1 figure``, ``4 figures``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _cmd_why(args: argparse.Namespace) -> int:
    from importlib.metadata import entry_points
    from .why import why

    if args.out is not None:
        claim_out(args.out, force=args.force, clear=False)
    scenario = _load(args.scenario, args.set)
    result = why(scenario, round=args.round, date=args.date, runs=args.runs, seed=args.seed)
    _out(result.text())
    if args.out is not None:
        out = claim_out(args.out, force=args.force)
        result.save(out)
        written = []
        for ep in entry_points(group="zopa.why_figures"):
            written += ep.load()(result, out)
        _out(f"\nTables saved to {out}/" + (f" with {_count(len(written), 'figure')}" if written else ""))
    return 0


_FORCE_HELP = "replace the results of an earlier run in --out DIR (its tables, record and figures)"


def _parser() -> argparse.ArgumentParser:
    from importlib.metadata import entry_points

    p = argparse.ArgumentParser(prog="zopa", description="Conflict-negotiation position simulator.")
    p.add_argument("--version", action="version", version=f"zopa {__version__}")
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
    r.add_argument("--force", action="store_true", help=_FORCE_HELP)
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
    y.add_argument("--force", action="store_true", help=_FORCE_HELP)
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


def _reader_gone() -> int:
    """The reader of standard output (``| head``) has gone: nothing left to say, and nowhere to say it.

    Standard output is pointed at the null device, so that the flush at exit does not fail again and
    print ``Exception ignored ... Broken pipe`` (the recipe of the ``signal`` module's documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zopa`` command; return its exit status (argparse exits 2 itself on bad usage)."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            args = _parser().parse_args(argv)
            status = int(args.func(args) or 0)
            sys.stdout.flush()   # here, where a closed pipe is caught, not at exit
            return status
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:
        _say("zopa: interrupted")
        return 130
    except _Terminated:
        _say("zopa: terminated")
        return 143
    except Exception as exc:
        return _report(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _say(text: str) -> None:
    """A last line on standard error, if there is still one to write to."""
    try:
        print(text, file=sys.stderr)
    except (OSError, ValueError):
        pass


def _report(exc: Exception) -> int:
    """One line for a failure: bad input and disk errors exit 1, a bug exits 2."""
    if isinstance(exc, ScenarioError):
        _out(str(exc), file=sys.stderr)
        return 1
    if isinstance(exc, OSError):
        _out(f"zopa: error: {_describe_os_error(exc)}", file=sys.stderr)
        return 1
    if isinstance(exc, (ValueError, OverflowError)):
        _out(f"zopa: error: {exc}", file=sys.stderr)
        return 1
    if os.environ.get("ZOPA_DEBUG"):   # a bug, not bad input: one line, and the details on request
        raise exc
    _out(f"zopa: internal error ({type(exc).__name__}: {exc}); rerun with ZOPA_DEBUG=1 for details "
         "and please report it", file=sys.stderr)
    return 2


def _main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
