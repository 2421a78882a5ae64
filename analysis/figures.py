"""The default figures of a run or a sweep, written to files (``zopa run --out``, ``zopa plot``)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from matplotlib.figure import Figure

from ..sim.io import write_atomic
from . import plots, sweep_plots

__all__ = ["RUN_KINDS", "SWEEP_KINDS", "run_figure", "sweep_figure", "write_figures", "write_sweep_figures"]

RUN_KINDS: dict[str, Callable] = {
    "timeline": plots.zopa_timeline, "survival": plots.survival,
    "terms": plots.terms, "utilities": plots.utilities,
}
SWEEP_KINDS = ("heatmap", "sensitivity")


def run_figure(results, kind: str) -> Figure:
    """One figure of ``kind`` (a key of :data:`RUN_KINDS`) for one ensemble."""
    if kind not in RUN_KINDS:
        raise ValueError(f"found kind {kind!r} for a run, expected one of {', '.join(RUN_KINDS)}")
    return RUN_KINDS[kind](results)


def sweep_figure(sweep, kind: str, outcome: str = "p_deal") -> Figure:
    """The ``heatmap`` over the first two varied parameters (for a sweep of one parameter, its line with
    the 95% Wilson band), or the ``sensitivity`` bars (Saltelli designs)."""
    if kind == "heatmap":
        names = list(sweep.vary)
        if len(names) == 1:
            return sweep_plots.line(sweep, names[0], outcome)
        return sweep_plots.heatmap(sweep, names[0], names[1], outcome)
    if kind == "sensitivity":
        return sweep_plots.sensitivity(sweep.sensitivity(outcome), outcome=outcome)
    raise ValueError(f"found kind {kind!r} for a sweep, expected one of {', '.join(SWEEP_KINDS)}")


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` atomically (a killed run leaves the old figure or the new one, never half of one)."""
    path = Path(path)
    return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png"))


def write_figures(results, out_dir, *, fmt: str = "png") -> list[Path]:
    """Write every run figure that the results allow to ``out_dir/<kind>.<fmt>``; return the paths.

    Registered in the ``zopa.figures`` entry-point group, so ``zopa run --out DIR`` calls it.
    """
    out = Path(out_dir)
    kinds = [k for k in RUN_KINDS if k != "timeline" or getattr(results, "history", None) is not None]
    return [save(run_figure(results, k), out / f"{k}.{fmt}") for k in kinds]


def write_sweep_figures(sweep, out_dir, *, fmt: str = "png") -> list[Path]:
    """Write the heatmap (and, for Saltelli designs, the sensitivity bars) of a sweep."""
    out = Path(out_dir)
    kinds = ["heatmap"] + (["sensitivity"] if sweep.design == "saltelli" else [])
    return [save(sweep_figure(sweep, k), out / f"{k}.{fmt}") for k in kinds]
