"""Figures of a :func:`sim.why` diagnosis: the smallest concessions ranked with their spread, and
ripeness over time (alone, or as a line on the reservations timeline).

As in :mod:`analysis.plots`, every function takes data and an optional ``ax`` and returns the Figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..sim.ripeness import ripe_share
from ..sim.why_text import percent, concession_summary
from .figures import save
from . import plots
from .plots import actor_colors, date_axis, new_axes, note, zopa_timeline

__all__ = ["concessions", "ripeness", "ripeness_line", "timeline_with_ripeness", "write_why_figures",
           "concession_scale"]


def concession_scale(why, row) -> float:
    """The scale one concession is measured against: 1 utility for a reservation, the issue's range for
    a range red line, its number of steps for a levels red line."""
    if row["kind"] == "reservation":
        return 1.0
    issue = why.scenario.issues[row["issue"]]
    if issue.is_levels:
        return float(max(1, len(issue.levels) - 1))
    return float(issue.range[1] - issue.range[0])


def _label(why, row) -> str:
    actor = why.scenario.actors[row["actor"]].label or row["actor"]
    if row["kind"] == "reservation":
        return f"{actor}: reservation -{row['move']:.3g}"
    if row["bound"] == "allowed":
        return f"{actor}: {row['issue']} allow {row['needed_level']}"
    return f"{actor}: {row['issue']} {row['bound']} {row['value']:.3g} -> {row['needed']:.3g}"


def concessions(why, *, ax=None):
    """The smallest concession each constraint would make alone, ranked: the median with its 10-90% range,
    as a share of its scale (:func:`concession_scale`), for the constraints that can open the zone alone
    in some world; the bar label says in how many."""
    table = concession_summary(why)
    table = table[table["share_alone"] > 0].iloc[::-1]
    fig, ax = new_axes(ax, figsize=(8, 1.2 + 0.45 * max(1, len(table))))
    if not len(table):
        note(ax, "no single concession opens the zone in any world")
        ax.set_axis_off()
        return fig
    colors = actor_colors(why.scenario)
    y = np.arange(len(table))
    for k, (_, row) in enumerate(table.iterrows()):
        s = concession_scale(why, row)
        ax.plot([row["move_lo"] / s, row["move_hi"] / s], [k, k], color=colors[row["actor"]], lw=6, alpha=0.35,
                solid_capstyle="butt")
        ax.plot(row["move"] / s, k, "o", color=colors[row["actor"]], ms=7)
        ax.annotate(f"{percent(row['share_alone'])} of worlds", (row["move_hi"] / s, k), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, [_label(why, r) for _, r in table.iterrows()], fontsize=8)
    ax.set_xlabel("smallest concession that alone opens the zone\n(share of its scale: utility, the issue's "
                  "range, or its levels; median and 10-90%)")
    ax.set_xlim(0, None)
    ax.set_title(f"{why.scenario.name}: what would open the zone at {why.date}", fontsize=10)
    return fig


def ripeness_line(ax, why):
    """Draw the share of worlds ripe (Zartman 2000) on a twin axis of ``ax``; returns the twin axis."""
    return plots.ripeness_line(ax, why.ripeness)


def ripeness(why, *, ax=None):
    """Share of the worlds without a deal that are ripe, in a mutually hurting stalemate, and with a way
    out, at each date up to the round diagnosed."""
    fig, ax = new_axes(ax)
    share = ripe_share(why.ripeness)
    for col, style, words in (("mutually_hurting_stalemate", "--", "mutually hurting stalemate"),
                              ("way_out", ":", "a way out (zone closed by less than the margin, or open)"),
                              ("ripe", "-", "ripe: both")):
        ax.plot(share["date"], share[col], ls=style, color="0.1", lw=1.8, label=words)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of worlds without a deal")
    date_axis(ax)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(f"{why.scenario.name}: ripeness (Zartman 2000)", fontsize=10)
    return fig


def timeline_with_ripeness(results, why, *, ax=None):
    """The reservations timeline of :func:`analysis.plots.zopa_timeline` with the ripe share of a
    diagnosis (its own window and margin) on top, for results without the ripeness columns."""
    fig = zopa_timeline(results.__class__(results.outcomes, _without_ripeness(results.history), results.scenario,
                                          results.seed, results.runs, results.record), ax=ax)
    ripeness_line(fig.axes[0], why)
    return fig


def _without_ripeness(hist):
    return hist.drop(columns=[c for c in ("mutually_hurting_stalemate", "way_out", "ripe") if c in hist.columns])


def write_why_figures(why, out_dir, *, fmt: str = "png") -> list[Path]:
    """Write ``concessions.<fmt>`` and ``ripeness.<fmt>``; registered for ``zopa why --out``."""
    out = Path(out_dir)
    return [save(concessions(why), out / f"concessions.{fmt}"), save(ripeness(why), out / f"ripeness.{fmt}")]
