"""``zopa discover``: PRIM boxes and CART leaves for an outcome, printed and drawn."""

from __future__ import annotations

import argparse
from pathlib import Path

from .outcomes import OUTCOME_HELP

__all__ = ["register"]

FIGURES = {"tradeoff": "tradeoff", "box": "plot_box", "scatter": "scatter"}


def _load(directory: Path):
    if (directory / "sweep.json").exists():
        from .sweeps import Sweep
        return Sweep.load(directory)
    if (directory / "record.json").exists():
        from .. import sim
        return sim.Results.load(directory)
    raise ValueError(f"{directory}: found no sweep.json or record.json, expected the --out directory of "
                     "zopa run or zopa sweep")


def write_figures(found, out: Path) -> list[Path]:
    """``discovery-<figure>-<box>.png`` for every box found, in ``out``."""
    from .figures import save

    written = []
    for box in range(1, len(found.trajectories) + 1):
        for name, method in FIGURES.items():
            written.append(save(getattr(found, method)(box), out / f"discovery-{name}-{box}.png"))
    return written


def _cmd_discover(args: argparse.Namespace) -> int:
    from .discovery import discover

    directory = Path(args.dir)
    found = discover(_load(directory), args.outcome, threshold=args.threshold, boxes=args.boxes,
                     peel_alpha=args.peel_alpha, mass_min=args.mass_min, prune=args.prune,
                     tree_depth=args.tree_depth)
    print(found.text())
    written = write_figures(found, Path(args.out) if args.out else directory)
    n = len(written)
    print(f"\n{n} figure{'s' if n != 1 else ''} saved" + (f" to {written[0].parent}/" if written else ""))
    return 0


def register(subparsers, wrap=lambda f: f) -> None:
    """Add ``discover`` to the ``zopa`` command's subparsers."""
    d = subparsers.add_parser("discover", help="find the parameter regions where an outcome holds (PRIM, CART)")
    d.add_argument("dir", help="the --out directory of zopa run or zopa sweep")
    d.add_argument("--outcome", required=True, help=OUTCOME_HELP)
    d.add_argument("--threshold", type=float, default=0.8, help="density a box must reach (default 0.8)")
    d.add_argument("--boxes", type=int, default=3, help="at most this many PRIM boxes (default 3)")
    d.add_argument("--peel-alpha", type=float, default=0.05, help="share peeled per step (default 0.05)")
    d.add_argument("--mass-min", type=float, default=0.05, help="smallest share of rows in a box (default 0.05)")
    d.add_argument("--prune", type=float, default=None, metavar="P",
                   help="drop restrictions whose quasi-p values exceed P, e.g. 0.05 (default: keep all)")
    d.add_argument("--tree-depth", type=int, default=3, help="depth of the CART tree (default 3)")
    d.add_argument("--out", default=None, help="directory for the figures (default: DIR)")
    d.set_defaults(func=wrap(_cmd_discover))
