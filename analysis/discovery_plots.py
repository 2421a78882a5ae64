"""Figures of scenario discovery: PRIM's peeling trade-off, a box's limits, and the box over the data.

Each takes a :class:`analysis.discovery.Discovery`, a box number (from 1) and an optional ``ax``, and
returns the Figure without calling ``show()``.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from .plots import Figure   # shown inline in Jupyter

__all__ = ["tradeoff", "box_limits", "box_scatter"]

_IN, _OUT = "#c0392b", "#95a5a6"


def _axes(ax, figsize=(7, 4.5)):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


def _check(d, box: int) -> None:
    if not 1 <= box <= len(d.trajectories):
        raise ValueError(f"box: found {box}, expected a number from 1 to {len(d.trajectories)} "
                         f"(the boxes PRIM found)")


def _title(ax, d, what: str) -> None:
    ax.set_title(textwrap.fill(f"{what}: {d.outcome}", 60), fontsize=11)


def tradeoff(d, box: int = 1, *, ax=None) -> Figure:
    """Coverage against density at each step of the peeling and pasting trajectory (Bryant and Lempert
    2010), coloured by the number of restricted parameters; the step kept is circled."""
    _check(d, box)
    traj = d.trajectories[box - 1]
    fig, ax = _axes(ax)
    points = ax.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=22, zorder=3)
    fig.colorbar(points, ax=ax, label="restricted parameters (count)")
    kept = traj[traj["selected"]]
    ax.scatter(kept["coverage"], kept["density"], s=160, facecolors="none", edgecolors="black", zorder=4,
               label=f"box {box}: coverage {kept['coverage'].iloc[0]:.0%}, density {kept['density'].iloc[0]:.0%}")
    b = d.boxes[d.boxes["box"] == box].iloc[0]
    if b["dropped"]:
        ax.scatter([b["coverage"]], [b["density"]], marker="*", s=180, color="black", zorder=5,
                   label=f"box {box} without {len(b['dropped'].split(', '))} weak restrictions: "
                         f"coverage {b['coverage']:.0%}, density {b['density']:.0%}")
    ax.axhline(d.threshold, color="0.4", ls="--", lw=1, label=f"density threshold {d.threshold:g}")
    ax.set_xlabel("coverage (share of the rows of interest inside the box)")
    ax.set_ylabel("density (share of the box's rows of interest)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(min(0.0, traj["density"].min()), 1.02)
    ax.legend(loc="lower left", fontsize=9)
    _title(ax, d, f"PRIM peeling trade-off, box {box}")
    return fig


def _limits(d, box: int) -> pd.DataFrame:
    return d.limits[d.limits["box"] == box].reset_index(drop=True)


def box_limits(d, box: int = 1, *, ax=None) -> Figure:
    """Each restricted parameter's range in the box, as a bar over its full range scaled to 0-1, with the
    limits written at the ends (levels of a categorical parameter are listed)."""
    _check(d, box)
    rows = _limits(d, box)
    fig, ax = _axes(ax, figsize=(9, 1.4 + 0.5 * max(1, len(rows))))
    for i, r in rows.iterrows():
        y = len(rows) - 1 - i
        ax.plot([0, 1], [y, y], color="0.85", lw=8, solid_capstyle="butt")
        if r["levels"] is not None and not isinstance(r["levels"], float):
            ax.text(0.5, y, "{" + ", ".join(map(str, r["levels"])) + "}", ha="center", va="center", fontsize=9)
            continue
        span = (r["maximum"] - r["minimum"]) or 1.0
        lo, hi = (r["lower"] - r["minimum"]) / span, (r["upper"] - r["minimum"]) / span
        ax.plot([lo, hi], [y, y], color=_IN, lw=8, solid_capstyle="butt")
        ax.text(lo, y + 0.28, f"{r['lower']:.3g}", ha="center", fontsize=8)
        ax.text(hi, y + 0.28, f"{r['upper']:.3g}", ha="center", fontsize=8)
    ax.set_yticks(range(len(rows)), list(rows["parameter"])[::-1], fontsize=9)
    ax.set_ylim(-0.7, len(rows) - 0.2)
    ax.set_xlim(-0.03, 1.03)
    ax.set_xlabel("position in the sampled range (0 lowest, 1 highest)")
    b = d.boxes[d.boxes["box"] == box].iloc[0]
    _title(ax, d, f"box {box} (coverage {b['coverage']:.0%}, density {b['density']:.0%})")
    return fig


def _numeric_pair(d, box: int) -> list[str]:
    rows = _limits(d, box)
    names = [r["parameter"] for _, r in rows.iterrows() if r["levels"] is None or isinstance(r["levels"], float)]
    by_width = sorted(names, key=lambda n: float(((rows.set_index("parameter").loc[n, "upper"]
                                                  - rows.set_index("parameter").loc[n, "lower"])
                                                 / max(1e-300, d.x[n].max() - d.x[n].min()))))
    return by_width[:2]


def box_scatter(d, box: int = 1, *, ax=None) -> Figure:
    """The rows on the box's two most restricted numeric parameters, those of interest in colour, and the
    box's limits on those two drawn as a rectangle."""
    _check(d, box)
    pair = _numeric_pair(d, box)
    fig, ax = _axes(ax, figsize=(6.5, 5))
    if len(pair) < 2:
        others = [c for c in d.x.columns if c not in pair and not isinstance(d.x[c].dtype, pd.CategoricalDtype)]
        pair = (pair + others)[:2]
    if len(pair) < 2:
        ax.text(0.5, 0.5, "fewer than two numeric inputs", ha="center", va="center", transform=ax.transAxes)
        return fig
    xs, ys = d.x[pair[0]].to_numpy(), d.x[pair[1]].to_numpy()
    ax.scatter(xs[~d.y], ys[~d.y], s=6, color=_OUT, alpha=0.5, label="outcome does not hold")
    ax.scatter(xs[d.y], ys[d.y], s=6, color=_IN, alpha=0.6, label="outcome holds")
    rows = _limits(d, box).set_index("parameter")
    lo = [rows.loc[p, "lower"] if p in rows.index else d.x[p].min() for p in pair]
    hi = [rows.loc[p, "upper"] if p in rows.index else d.x[p].max() for p in pair]
    ax.add_patch(Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1], fill=False, lw=2, ec="black",
                           label=f"box {box}"))
    ax.set_xlabel(pair[0])
    ax.set_ylabel(pair[1])
    ax.legend(loc="upper right", fontsize=8, markerscale=2, framealpha=0.9)
    _title(ax, d, f"box {box} on its two narrowest parameters")
    return fig
