"""``zopa sweep`` and ``zopa plot``, added to the ``zopa`` command through ``zopa.commands``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .app_cli import register as register_app
from .design import DESIGNS
from .discovery_cli import register as register_discover

__all__ = ["register", "parse_vary"]

_FORMATS = (".png", ".svg", ".pdf")
_VARY_HELP = "LO:HI:N (N evenly spaced values, grid), LO:HI (a range, other designs) or a,b,c (values)"


def _scalar(text: str):
    text = text.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _number(text: str, item: str) -> float:
    value = _scalar(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"--vary {item}: found {text!r}, expected a number")
    return float(value)


def _one_vary(item: str, design: str):
    key, sep, spec = item.partition("=")
    if not sep or not key.strip() or not spec.strip():
        raise ValueError(f"--vary {item}: found no key.path=values, expected {_VARY_HELP}")
    parts = spec.split(":")
    if len(parts) == 3:
        lo, hi = _number(parts[0], item), _number(parts[1], item)
        n = _scalar(parts[2])
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"--vary {item}: found N={parts[2]!r}, expected a positive whole number")
        from .sweeps import MAX_POINTS
        if n > MAX_POINTS:
            raise ValueError(f"--vary {item}: found N={n:,}, expected at most {MAX_POINTS:,} values "
                             "(use fewer, or a sampled design: --design lhs --samples N)")
        if design != "grid":
            raise ValueError(f"--vary {item}: found LO:HI:N, expected LO:HI for design {design!r}")
        import numpy as np
        return key.strip(), [float(v) for v in np.linspace(lo, hi, n)]
    if len(parts) == 2:
        if design == "grid":
            raise ValueError(f"--vary {item}: found LO:HI, expected LO:HI:N or a,b,c for design 'grid'")
        return key.strip(), (_number(parts[0], item), _number(parts[1], item))
    if len(parts) == 1 and design == "grid":
        return key.strip(), [_scalar(v) for v in spec.split(",")]
    raise ValueError(f"--vary {item}: found {spec!r}, expected {_VARY_HELP}")


def parse_vary(items: list[str], design: str = "grid") -> dict:
    """``["a.b=0:1:3", "c.d=x,y"]`` -> ``{"a.b": [0.0, 0.5, 1.0], "c.d": ["x", "y"]}``."""
    out = {}
    for item in items:
        key, values = _one_vary(item, design)
        if key in out:
            raise ValueError(f"--vary {item}: found {key!r} twice, expected each path once")
        out[key] = values
    return out


def _points_text(points, varied: list[str], limit: int = 20) -> str:
    import pandas as pd

    table = pd.DataFrame({"point": points["point"]})
    for name in varied:
        table[name] = points[name].map(lambda v: f"{v:.4g}" if isinstance(v, float) else str(v))
    table["p_deal [95% CI]"] = [f"{p:.1%} [{lo:.1%}, {hi:.1%}]"
                                for p, lo, hi in points[["p_deal", "p_deal_lo", "p_deal_hi"]].to_numpy()]
    table["median ZOPA date"] = pd.to_datetime(points["zopa_date_median"]).dt.strftime("%Y-%m-%d").fillna("never")
    text = table.head(limit).to_string(index=False)
    return text + (f"\n... {len(points) - limit} more points in points.parquet" if len(points) > limit else "")


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .figures import write_sweep_figures
    from .sweeps import sweep

    vary = parse_vary(args.vary, args.design)
    result = sweep(args.scenario, vary, runs=args.runs, seed=args.seed, design=args.design,
                   samples=args.samples, executor="dask" if args.scheduler else args.executor,
                   workers=args.workers, scheduler=args.scheduler, chunk_size=args.chunk_size, out=args.out)
    print(_points_text(result.points, list(vary)))
    written = write_sweep_figures(result, args.out)
    print(f"\nSweep saved to {args.out}/ ({_count(len(result.points), 'point')} x {_count(args.runs, 'world')}, "
          f"{_count(len(written), 'figure')})")
    return 0


def _count(n: int, noun: str) -> str:
    """``1 figure``, ``1,000 worlds``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _targets(kinds: list[str], directory: Path, out: str | None) -> dict[str, Path]:
    if out is not None and Path(out).suffix.lower() in _FORMATS:
        if len(kinds) != 1:
            raise ValueError(f"found --out {out} for {len(kinds)} figures, expected one --kind, "
                             "or --out DIR for all")
        return {kinds[0]: Path(out)}
    if out is not None and Path(out).suffix:
        raise ValueError(f"found --out {out}, expected a file ending in {', '.join(_FORMATS)} or a directory")
    base = Path(out) if out is not None else directory
    return {k: base / f"{k}.png" for k in kinds}


def _plot_sweep(directory: Path, args: argparse.Namespace) -> list[Path]:
    from .figures import SWEEP_KINDS, save, sweep_figure
    from .sweeps import Sweep

    result = Sweep.load(directory)
    kinds = ["heatmap"] + (["sensitivity"] if result.design == "saltelli" else [])
    kinds = kinds if args.kind == "all" else [args.kind]
    if kinds[0] not in SWEEP_KINDS:
        raise ValueError(f"found --kind {args.kind} for a sweep directory, expected heatmap, sensitivity or all")
    return [save(sweep_figure(result, k, args.outcome), path) for k, path in _targets(kinds, directory, args.out).items()]


def _plot_run(directory: Path, args: argparse.Namespace) -> list[Path]:
    from .. import sim
    from .figures import RUN_KINDS, run_figure, save

    results = sim.Results.load(directory)
    kinds = [k for k in RUN_KINDS if k != "timeline" or results.history is not None]
    kinds = kinds if args.kind == "all" else [args.kind]
    if kinds[0] not in RUN_KINDS:
        raise ValueError(f"found --kind {args.kind} for a run directory, expected {', '.join(RUN_KINDS)} or all")
    return [save(run_figure(results, k), path) for k, path in _targets(kinds, directory, args.out).items()]


def _cmd_plot(args: argparse.Namespace) -> int:
    """Figures from the directory alone (its record holds the scenario), the same from any folder;
    a scenario file changed since the run is named in a one-line warning."""
    directory = Path(args.dir)
    if (directory / "sweep.json").exists():
        draw = _plot_sweep
    elif (directory / "record.json").exists():
        draw = _plot_run
    else:
        raise ValueError(f"{directory}: found no sweep.json or record.json, expected the --out directory "
                         "of zopa run or zopa sweep")
    written = draw(directory, args)   # a warning prints as one line (zopa: warning: ...), through main
    for path in written:
        print(path)
    return 0


def _friendly(command):
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (ImportError, json.JSONDecodeError) as exc:
            raise ValueError(str(exc)) from None
    return run


def register(subparsers) -> None:
    """Add ``sweep``, ``plot``, ``backtest``, ``calibrate``, ``discover`` and ``app`` to the ``zopa`` command's
    subparsers."""
    from .history_cli import register as register_history

    s = subparsers.add_parser("sweep", help="simulate an ensemble at every point of a parameter design")
    s.add_argument("scenario")
    s.add_argument("--vary", action="append", required=True, metavar="KEY.PATH=SPEC", help=_VARY_HELP)
    s.add_argument("--design", choices=DESIGNS, default="grid")
    s.add_argument("--samples", type=int, default=None, help="points (base samples for saltelli)")
    s.add_argument("--runs", type=int, default=1000, help="worlds per point (default 1000)")
    s.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    s.add_argument("--executor", choices=("processes", "serial", "dask"), default="processes")
    s.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://host:8786")
    s.add_argument("--chunk-size", type=int, default=None, help="points per task and per chunk file")
    s.add_argument("--out", required=True, help="directory for chunks, tables and figures; rerun to resume")
    s.set_defaults(func=_friendly(_cmd_sweep))
    p = subparsers.add_parser("plot", help="draw figures from a zopa run or zopa sweep directory")
    p.add_argument("dir")
    p.add_argument("--kind", default="all", choices=("all", "timeline", "survival", "terms", "utilities",
                                                      "heatmap", "sensitivity"))
    p.add_argument("--outcome", default="p_deal", help="sweep outcome for heatmap/sensitivity (default p_deal)")
    p.add_argument("--out", default=None, help="FILE.png|.svg|.pdf for one --kind, or a directory")
    p.set_defaults(func=_friendly(_cmd_plot))
    register_history(subparsers)
    register_discover(subparsers, _friendly)
    register_app(subparsers, _friendly)
