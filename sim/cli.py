"""The ``zopa`` command line: validate, explain and run scenarios.

Other packages add subcommands through the entry-point group ``zopa.commands`` (a function
``register(subparsers)``) and figures written after ``zopa run`` through ``zopa.figures`` (a function
``write(results, out_dir) -> list[Path]``); ``sim`` itself never imports them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from importlib.metadata import entry_points
from pathlib import Path
from typing import Sequence

from .scenario.errors import ScenarioError
from .scenario.explain import explain
from .scenario import load_scenario
from .scenario.yamlsource import parse_value

__all__ = ["main", "parse_sets", "Progress"]


def parse_sets(items: Sequence[str] | None) -> dict:
    """``["a.b=1", ...]`` -> ``{"a.b": 1}``; values are read as YAML."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ScenarioError([_problem(item)])
        out[key.strip()] = parse_value(value)
    return out


def _problem(item: str):
    from .scenario.errors import Problem
    return Problem("--set", None, item, "found no '=', expected key.path=value")


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
    status = 0
    for path in args.files:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                load_scenario(path, parse_sets(args.set))
            for w in caught:
                print(f"warning: {w.message}", file=sys.stderr)
            print(f"{path}: valid")
        except ScenarioError as exc:
            print(exc, file=sys.stderr)
            status = 1
    return status


def _cmd_explain(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, parse_sets(args.set))
    print(explain(scenario))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .results import summary_text
    from .simulate import simulate

    scenario = load_scenario(args.scenario, parse_sets(args.set))
    command = "zopa " + " ".join(sys.argv[1:]) if sys.argv[1:] else "zopa run"
    bar = Progress(sys.stderr, force=args.progress)
    results = simulate(scenario, runs=args.runs, seed=args.seed, history=args.history, progress=bar)
    bar.close()
    print(summary_text(results))
    if args.out is not None:
        out = Path(args.out)
        results.save(out, command=command)
        written = []
        for ep in entry_points(group="zopa.figures"):
            written += ep.load()(results, out)
        print(f"\nResults saved to {out}/" + (f" with {len(written)} figures" if written else ""))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zopa", description="Conflict-negotiation position simulator.")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check scenario files; exit 1 with every problem if any is invalid")
    v.add_argument("files", nargs="+")
    v.add_argument("--set", action="append", metavar="KEY.PATH=VALUE")
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
    for ep in entry_points(group="zopa.commands"):
        ep.load()(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"zopa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("zopa: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: one line, and the details on request
        if os.environ.get("ZOPA_DEBUG"):
            raise
        print(f"zopa: internal error ({type(exc).__name__}: {exc}); rerun with ZOPA_DEBUG=1 for details "
              "and please report it", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
