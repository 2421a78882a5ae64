"""Figures for backtests and calibrations: reliability diagram, prior against posterior."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .plots import Figure, new_axes, note

__all__ = ["reliability_figure", "reliability_bins", "posterior_figure", "pair_figure"]


def reliability_bins(probabilities: np.ndarray, observed: np.ndarray, *, bins: int = 5) -> pd.DataFrame:
    """Mean forecast, observed frequency and count per probability bin (Murphy & Winkler 1977)."""
    p = np.asarray(probabilities, dtype=float)
    o = np.asarray(observed, dtype=float)
    k = np.minimum((p * bins).astype(int), bins - 1)
    rows = [{"bin": b, "forecast": p[k == b].mean(), "observed": o[k == b].mean(), "n": int((k == b).sum())}
            for b in range(bins) if (k == b).any()]
    return pd.DataFrame(rows, columns=["bin", "forecast", "observed", "n"])


def reliability_figure(table: pd.DataFrame, *, bins: int = 5, ax=None) -> Figure:
    """Reliability diagram of the model's yes/no forecasts, one line per scenario.

    Points on the diagonal are calibrated; the count of observations is written beside each point.
    """
    fig, ax = new_axes(ax, figsize=(5.5, 5))
    events = table[(table["kind"] == "event") & (table["forecaster"] == "model") & (table["score"] == "brier")]
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="perfectly reliable")
    if events.empty:
        note(ax, "no yes/no observations")
    for scenario, part in events.groupby("scenario", sort=False):
        observed = (part["observed"] == "True").to_numpy()
        b = reliability_bins(part["forecast"].to_numpy(), observed, bins=bins)
        ax.plot(b["forecast"], b["observed"], marker="o", label=str(scenario))
        for _, r in b.iterrows():
            ax.annotate(f"n={int(r['n'])}", (r["forecast"], r["observed"]), textcoords="offset points",
                        xytext=(5, -12), fontsize=8)
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), xlabel="model probability of yes (share of worlds)",
           ylabel="observed frequency of yes (share of observations)",
           title="Reliability of yes/no forecasts")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def posterior_figure(prior: pd.DataFrame, posterior: pd.DataFrame, columns: list[str], *, bins: int = 30,
                     ax=None) -> Figure:
    """Prior against posterior histogram (density) for each parameter in ``columns``."""
    n = max(1, len(columns))
    if ax is None:
        fig = Figure(figsize=(4.2 * min(n, 3), 3.2 * ((n + 2) // 3)), layout="constrained")
        axes = np.atleast_1d(fig.subplots((n + 2) // 3, min(n, 3))).ravel()
    else:
        fig, axes = ax.figure, np.atleast_1d(ax)
    for a, col in zip(axes, columns):
        edges = np.histogram_bin_edges(prior[col].dropna(), bins=bins)
        a.hist(prior[col], bins=edges, density=True, color="0.75", label="prior")
        a.hist(posterior[col], bins=edges, density=True, histtype="step", lw=2, color="#c0392b",
               label="posterior")
        a.set_xlabel(_label(col), fontsize=8)
        a.set_ylabel("density (per unit of the parameter)", fontsize=8)
        a.legend(fontsize=8)
    for a in axes[len(columns):]:
        a.set_visible(False)
    return fig


def pair_figure(prior: pd.DataFrame, posterior: pd.DataFrame, x: str, y: str, *, ax=None) -> Figure:
    """Prior (grey) and posterior (red) draws of two parameters against each other."""
    fig, ax = new_axes(ax, figsize=(6, 5))
    ax.scatter(prior[x], prior[y], s=6, color="0.6", label=f"prior ({len(prior)} worlds)")
    ax.scatter(posterior[x], posterior[y], s=3, color="#c0392b", alpha=0.5,
               label=f"posterior ({len(posterior)} accepted)")
    ax.set_xlabel(_label(x), fontsize=8)
    ax.set_ylabel(_label(y), fontsize=8)
    ax.legend(fontsize=8)
    return fig


def _label(path: str) -> str:
    """A parameter's path as an axis label (its value is in the scenario's own units)."""
    lines = [""]
    for part in path.split("."):
        piece = ("." if lines[-1] else "") + part
        if lines[-1] and len(lines[-1]) + len(piece) > 40:
            lines.append(part)
        else:
            lines[-1] += piece
    return "\n".join(lines) + " (scenario units)"
