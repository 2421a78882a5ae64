"""Figures of a sweep: an outcome over two varied parameters, and Sobol' indices."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plots import new_axes, note

__all__ = ["heatmap", "line", "sensitivity", "OUTCOMES"]

# points column -> axis label with its unit
OUTCOMES = {
    "p_deal": "chance of a deal by the horizon (share of worlds)",
    "p_talks": "chance of talks by the horizon (share of worlds)",
    "p_zopa": "chance of a ZOPA by the horizon (share of worlds)",
    "rounds_to_zopa": "mean rounds to a ZOPA (rounds; never = horizon + 1)",
    "zopa_round_median": "median round the ZOPA opens (rounds)",
    "agreement_round_median": "median round of the deal (rounds)",
}
# last part of a dotted path -> its unit
_UNITS = {"erosion": "utility per round", "discount": "factor per round", "reservation": "utility",
          "cost": "utility", "p_a": "probability per battle", "win_probability": "probability",
          "horizon": "rounds", "min": "issue units", "max": "issue units", "concession_step": "share"}


def param_label(path: str) -> str:
    """``actors.russia.erosion`` -> ``actors.russia.erosion (utility per round)``."""
    unit = _UNITS.get(path.rsplit(".", 1)[-1])
    return f"{path} ({unit})" if unit else path


def outcome_label(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome)


def _grid(points: pd.DataFrame, x: str, y: str | None, outcome: str) -> pd.DataFrame:
    """``outcome`` averaged over any other varied parameter, x across and y down."""
    if y is None:
        return points.groupby(x)[outcome].mean().to_frame(outcome).T
    return points.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean", sort=True)


def _cell_text(ax, table: pd.DataFrame, outcome: str) -> None:
    if table.size > 120:
        return
    fmt = "{:.0%}" if outcome.startswith("p_") else "{:.3g}"
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            v = table.iat[i, j]
            if pd.notna(v):
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))


def _ticks(values) -> list[str]:
    return [f"{v:.3g}" if isinstance(v, (float, np.floating)) else str(v) for v in values]


def _draw_grid(fig, ax, points, x, y, outcome, vmin, vmax) -> None:
    table = _grid(points, x, y, outcome).astype(float)
    image = ax.imshow(table.to_numpy(), origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
    ax.set_xticks(range(table.shape[1]), _ticks(table.columns), rotation=45 if table.shape[1] > 6 else 0)
    ax.set_yticks(range(table.shape[0]), _ticks(table.index) if y is not None else [""])
    _cell_text(ax, table, outcome)
    fig.colorbar(image, ax=ax, label=outcome_label(outcome))


def _draw_scatter(fig, ax, points, x, y, outcome, vmin, vmax) -> None:
    ys = points[y] if y is not None else np.zeros(len(points))
    dots = ax.scatter(points[x], ys, c=points[outcome].astype(float), cmap="viridis", vmin=vmin, vmax=vmax,
                      s=36, edgecolors="0.3", linewidths=0.3)
    fig.colorbar(dots, ax=ax, label=outcome_label(outcome))


def heatmap(sweep, x: str, y: str | None = None, outcome: str = "p_deal", *, ax=None) -> Figure:
    """An outcome of a sweep over two varied parameters.

    A grid design is drawn as cells (averaged over any third parameter, with values written in),
    other designs as points coloured by the outcome. ``y=None`` draws one row along ``x``.
    """
    points = sweep.points
    for name in (x, y):
        if name is not None and name not in sweep.vary:
            raise ValueError(f"found {name!r}, expected a varied parameter: {', '.join(sweep.vary)}")
    if outcome not in points:
        raise ValueError(f"found outcome {outcome!r}, expected a column of sweep.points")
    fig, ax = new_axes(ax, figsize=(7, 5))
    is_prob = outcome.startswith("p_")
    vmin, vmax = (0, 1) if is_prob else (None, None)
    if points[outcome].notna().any():
        draw = _draw_grid if sweep.design == "grid" else _draw_scatter
        draw(fig, ax, points, x, y, outcome, vmin, vmax)
    else:
        note(ax, f"no values of {outcome}: it never happened at any point")
    others = [v for v in sweep.vary if v not in (x, y)]
    ax.set_xlabel(param_label(x))
    ax.set_ylabel(param_label(y) if y is not None else "")
    extra = f"; mean over {', '.join(others)}" if others else ""
    runs = sweep.config.get("runs")
    ax.set_title(f"{textwrap.fill(outcome_label(outcome), 70)}\n{len(points)} points x {runs} worlds ({sweep.design}{extra})",
                 fontsize=10)
    return fig

def line(sweep, x: str, outcome: str = "p_deal", *, ax=None) -> Figure:
    """An outcome of a sweep along one varied parameter: a line through the points, with the 95% Wilson
    interval (Wilson 1927) of a share as a band (``<outcome>_lo`` and ``_hi`` of ``sweep.points``).

    Where other parameters vary too, the line is their mean and no band is drawn (a mean of shares
    has no Wilson interval).
    """
    points = sweep.points
    if x not in sweep.vary:
        raise ValueError(f"found {x!r}, expected a varied parameter: {', '.join(sweep.vary)}")
    if outcome not in points:
        raise ValueError(f"found outcome {outcome!r}, expected a column of sweep.points")
    fig, ax = new_axes(ax, figsize=(7, 4.5))
    others = [v for v in sweep.vary if v != x]
    table = points.groupby(x, sort=True)[[c for c in (outcome, f"{outcome}_lo", f"{outcome}_hi")
                                           if c in points]].mean()
    xs, scale = table.index.to_numpy(dtype=float), 100 if outcome.startswith("p_") else 1
    if not others and f"{outcome}_lo" in table:
        ax.fill_between(xs, scale * table[f"{outcome}_lo"], scale * table[f"{outcome}_hi"], color="0.5",
                        alpha=0.3, lw=0, label="95% Wilson interval")
    ax.plot(xs, scale * table[outcome].astype(float), color="black", lw=2, marker="o", ms=4,
            label=outcome if not others else f"{outcome}, mean over {', '.join(others)}")
    if table[outcome].isna().all():
        note(ax, f"no values of {outcome}: it never happened at any point")
    ax.set_xlabel(param_label(x))
    label = outcome_label(outcome)
    ax.set_ylabel(textwrap.fill(label.replace("share of worlds", "% of worlds") if scale == 100 else label, 40))
    if scale == 100:
        ax.set_ylim(-2, 102)
    ax.legend(fontsize=8)
    ax.set_title(textwrap.fill(f"{label} along {x}", 70) +
                 f"\n{len(points)} points x {sweep.config.get('runs')} worlds ({sweep.design})", fontsize=10)
    return fig



def sensitivity(indices: pd.DataFrame, *, outcome: str | None = None, ax=None) -> Figure:
    """First-order (S1) and total (ST) Sobol' indices per parameter, with their confidence intervals.

    Parameters
    ----------
    indices : pandas.DataFrame
        From :func:`analysis.sobol_indices`: ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    """
    fig, ax = new_axes(ax, figsize=(7, 0.6 * len(indices) + 2.5))
    y = np.arange(len(indices))
    for offset, key, shade in ((-0.2, "S1", "0.35"), (0.2, "ST", "0.7")):
        ax.barh(y + offset, indices[key], height=0.38, xerr=indices[f"{key}_conf"], color=shade,
                capsize=3, label={"S1": "first order S1", "ST": "total ST"}[key])
    ax.set_yticks(y, [param_label(p) for p in indices["parameter"]])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("Sobol' index (share of the outcome's variance)")
    ax.set_ylabel("varied parameter")
    what = outcome_label(outcome) if outcome else "the outcome"
    ax.set_title(textwrap.fill(f"Sensitivity of {what}", 60) + "\n(error bars: 95% intervals)", fontsize=10)
    ax.legend(fontsize=8)
    if indices.empty:
        note(ax, "no parameters")
    return fig
