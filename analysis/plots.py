"""Figures of one ensemble: reservations over time, survival to a ZOPA, talks and a deal, terms, utilities.

Every function takes data and an optional ``ax`` (``axes`` for several panels) and returns the
:class:`~matplotlib.figure.Figure`; none calls ``show()`` or touches pyplot's global state, so they
work under any backend. Each actor keeps one colour (:func:`actor_colors`) in every figure, time
axes show calendar dates, and every axis names its unit. Sweep figures are in
:mod:`analysis.sweep_plots`.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import figure as _figure

from ..sim.stats import median_date
from .stats import EVENTS

__all__ = ["actor_colors", "zopa_timeline", "survival", "terms", "utilities", "ripeness_line"]

# Events are drawn in greys with their own line styles, so that colour always means an actor.
EVENT_STYLE = {"zopa": dict(color="0.1", ls="-"), "talks": dict(color="0.35", ls="--"),
               "partial": dict(color="#2e86c1", ls="-."), "agreement": dict(color="0.55", ls=":"),
               "relapse": dict(color="#c0392b", ls=(0, (1, 1)))}
OPTIONAL_EVENTS = ("partial", "relapse")   # drawn only where some world reaches them
_STEPS = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}


class Figure(_figure.Figure):
    """A matplotlib Figure that Jupyter shows as an image when it is a cell's value.

    Jupyter's inline display of figures is set up by pyplot, which these functions never import
    (they work under any backend); without it a figure's value would show as its text repr.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def new_axes(ax=None, **subplots):
    """``(figure, ax)``: the given axes' figure, or a new pyplot-free Figure."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=subplots.pop("figsize", (8, 4.5)), layout="constrained")
    return fig, fig.subplots(**subplots)


def note(ax, text: str) -> None:
    """Write a centred message, e.g. that no world reached a deal."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11,
            bbox=dict(boxstyle="round", fc="white", ec="0.6"))


def _record(results) -> dict:
    """What the results say about themselves (``Results.record``): actors, issues, calendar."""
    record = getattr(results, "record", None) or {}
    if "actors" not in record:
        raise ValueError("found results without a description of their actors, issues and calendar, "
                         "expected results from sim.simulate or sim.Results.load")
    return record


def actors_of(results) -> list[str]:
    """Actor ids in the scenario's order."""
    return list(_record(results)["actors"])


def actor_colors(results_or_scenario) -> dict[str, str]:
    """One colour per actor, the same in every figure: the scenario's ``color`` or a palette entry
    (:func:`sim.actor_colors`), as recorded with the results."""
    from .. import sim
    if isinstance(results_or_scenario, sim.Scenario):
        return sim.actor_colors(results_or_scenario)
    return {a: spec["color"] for a, spec in _record(results_or_scenario)["actors"].items()}


def _label(results, actor: str) -> str:
    return _record(results)["actors"][actor]["label"]


def _title(results, what: str) -> str:
    return f"{_record(results)['scenario']}: {what}"


def round_dates(results, rounds) -> pd.DatetimeIndex:
    """Calendar dates of ``rounds`` (any whole numbers, before round 0 or after the horizon too):
    the calendar's start plus that many steps, as the model dates its rounds."""
    calendar = _record(results)["calendar"]
    start, step = pd.Timestamp(calendar["start"]), _STEPS[calendar["step"]]
    return pd.DatetimeIndex([start + step * int(r) for r in rounds])


def date_axis(ax, label: str = "date") -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(label)


def _horizon(results) -> int:
    return int(_record(results)["horizon"])


# ------------------------------------------------------------------------------------- timeline

def _shade_open(ax, dates: pd.DatetimeIndex, share: np.ndarray) -> None:
    """Shade each round by the share of worlds whose ZOPA is open (fully grey = every world)."""
    ends = dates[1:].append(pd.DatetimeIndex([dates[-1] + (dates[-1] - dates[-2] if len(dates) > 1
                                                             else pd.Timedelta(days=1))]))
    level = np.round(share, 1)
    start = 0
    for i in range(1, len(dates) + 1):
        if i == len(dates) or level[i] != level[start]:
            if level[start] > 0:
                ax.axvspan(dates[start], ends[i - 1], color="0.5", alpha=0.45 * level[start], lw=0)
            start = i


def _open_share(hist: pd.DataFrame, outcomes: pd.DataFrame) -> np.ndarray:
    """Per round, the share of worlds whose ZOPA is open, a world that has made a deal counting as open."""
    rounds = np.sort(hist["round"].unique())
    open_now = hist[hist["zopa_open"].astype(bool)].groupby("round")["world"].nunique()
    deal = pd.to_numeric(outcomes["agreement_round"]).astype(float).to_numpy()
    before = (deal[:, None] < rounds[None, :]).sum(axis=0)
    return (open_now.reindex(rounds, fill_value=0).to_numpy() + before) / max(1, len(outcomes))


def _mark(ax, when, what: str, label: str) -> None:
    if pd.notna(when):
        ax.axvline(pd.Timestamp(when), lw=1.6, label=label, **EVENT_STYLE[what])


def _mark_events(ax, outcomes: pd.DataFrame, single: bool) -> None:
    for event, words in (("talks", "talks start"), ("agreement", "deal agreed")):
        dates = pd.to_datetime(outcomes[f"{event}_date"]).dropna()
        if dates.empty:
            continue
        if single:
            _mark(ax, dates.iloc[0], event, words)
        else:
            when = median_date(dates)
            _mark(ax, when, event, f"median date {words} ({len(dates) / len(outcomes):.0%} of worlds)")


def zopa_timeline(results, *, world: int | None = None, ax=None) -> Figure:
    """Each actor's reservation over the calendar, with the rounds when a ZOPA is open shaded.

    Parameters
    ----------
    results : sim.Results
        Simulated with ``history=True``.
    world : int, optional
        Draw one world. By default the ensemble: each actor's median and 10-90% band, shading in
        proportion to the share of worlds with an open ZOPA, and median dates of talks and deals.
    """
    hist = getattr(results, "history", None)
    if hist is None:
        raise ValueError("found results without history, expected simulate(..., history=True)")
    outcomes = results.outcomes
    if world is not None:
        if world not in set(hist["world"]):
            raise ValueError(f"found world={world}, expected one of 0..{hist['world'].max()}")
        hist, outcomes = hist[hist["world"] == world], outcomes[outcomes["world"] == world]
    single = hist["world"].nunique() == 1
    fig, ax = new_axes(ax)
    by_date = hist.groupby("date", sort=True)
    dates = pd.DatetimeIndex(pd.to_datetime(list(by_date.groups)))
    _shade_open(ax, dates, _open_share(hist, outcomes))
    colors = actor_colors(results)
    for actor in actors_of(results):
        col = by_date[f"reservation.{actor}"]
        ax.plot(dates, col.median().to_numpy(), color=colors[actor], lw=2, label=_label(results, actor))
        if not single:
            ax.fill_between(dates, col.quantile(0.1).to_numpy(), col.quantile(0.9).to_numpy(),
                            color=colors[actor], alpha=0.2, lw=0)
    _mark_events(ax, outcomes, single)
    ax.axvspan(dates[0], dates[0], color="0.5", alpha=0.45, label="ZOPA open or deal made (shade: share of worlds)")
    ax.set_ylabel("reservation utility (own scale, 0-1)")
    date_axis(ax)
    which = f"world {world}" if world is not None else \
        f"median and 10-90% of {hist['world'].nunique()} worlds, over those without a deal yet"
    ax.set_title(_title(results, f"reservations and the ZOPA\n({which})"), fontsize=10)
    ax.legend(fontsize=8, loc="best")
    if "ripe" in hist.columns and not single:
        ripeness_line(ax, hist)
    return fig


def ripeness_line(ax, table: pd.DataFrame):
    """Draw the share of worlds ripe for a settlement (Zartman 2000; :mod:`sim.ripeness`) at each date on
    a twin axis of ``ax``, from a table with ``round``, ``date`` and ``ripe`` columns (the history, or a
    diagnosis' ripeness table); returns the twin axis."""
    from ..sim.ripeness import ripe_share
    share = ripe_share(table)
    twin = ax.twinx()
    twin.plot(pd.to_datetime(share["date"]), share["ripe"], color="0.15", ls="-.", lw=1.5,
              label="ripe (Zartman 2000), right axis")
    twin.set_ylim(0, 1)
    twin.set_ylabel("share of worlds ripe")
    twin.set_xlabel(ax.get_xlabel())              # the same dates as ax: named, drawn once
    twin.xaxis.label.set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    more, words = twin.get_legend_handles_labels()
    twin.legend(handles + more, labels + words, fontsize=8, loc="best")
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    return twin


# ------------------------------------------------------------------------------------- survival

def survival_table(outcomes: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Share of worlds still without each event after each round 0..horizon-1.

    Every world is followed to the horizon, so this Kaplan-Meier estimate (Kaplan & Meier 1958)
    reduces to the empirical survival function, censored at the horizon.
    """
    rounds = np.arange(horizon)
    table = {"round": rounds}
    for event in (e for e in EVENTS if f"{e}_round" in outcomes.columns):
        r = pd.to_numeric(outcomes[f"{event}_round"]).astype(float).to_numpy()
        happened = np.isfinite(r)[:, None] & (r[:, None] <= rounds[None, :])
        table[event] = 1 - happened.mean(axis=0) if len(r) else np.ones(horizon)
    return pd.DataFrame(table)


def survival(results, *, ax=None) -> Figure:
    """Time to a ZOPA, to talks and to a deal as survival curves on a calendar axis."""
    fig, ax = new_axes(ax)
    horizon = _horizon(results)
    table = survival_table(results.outcomes, horizon)
    dates = round_dates(results, range(-1, horizon + 1))
    for event, words in EVENTS.items():
        if event in OPTIONAL_EVENTS and results.outcomes[f"{event}_round"].isna().all():
            continue
        s = np.concatenate([[1.0], table[event].to_numpy(), [table[event].iloc[-1]]])
        ax.step(dates, 100 * s, where="post", lw=2, label=f"until {words}", **EVENT_STYLE[event])
    ax.axvline(dates[-1], color="0.3", lw=0.8)
    ax.annotate("horizon: censored", (dates[-1], 100), xytext=(-4, -4), textcoords="offset points",
                ha="right", va="top", fontsize=8)
    ax.set_ylim(-2, 102)
    ax.set_ylabel("worlds still without (%)")
    date_axis(ax)
    ax.set_title(_title(results, f"time to a ZOPA, talks and a deal ({len(results.outcomes)} worlds)"))
    ax.legend(fontsize=8, loc="lower left")
    if not results.outcomes["agreed"].astype(bool).any():
        ax.text(0.98, 0.5, "no deals by the horizon", transform=ax.transAxes, ha="right", fontsize=10)
    return fig


# ---------------------------------------------------------------------------- terms, utilities

def _terms_panel(ax, results, issue: str, deals: pd.DataFrame) -> None:
    meta = _record(results)["issues"][issue]
    values = deals[f"terms.{issue}"].dropna()
    if values.empty:
        note(ax, f"no deals in {len(results.outcomes)} worlds")
    elif meta["kind"] == "levels":
        share = values.astype(str).value_counts().reindex(meta["levels"], fill_value=0) / len(values)
        ax.bar(meta["levels"], 100 * share.to_numpy(), color="0.45")
    else:
        ax.hist(values.to_numpy(dtype=float), bins=min(30, max(5, len(values) // 10)),
                weights=np.full(len(values), 100 / len(values)), color="0.45")
        ax.axvline(values.median(), color="black", lw=1.5, label=f"median {values.median():.3g}")
        ax.legend(fontsize=8)
    unit = "level" if meta["kind"] == "levels" else meta["unit"] or "issue units"
    ax.set_title(issue, fontsize=10)
    ax.set_xlabel(textwrap.fill(unit, 38), fontsize=8)
    ax.set_ylabel("deals (%)")


def terms(results, *, axes=None) -> Figure:
    """Distribution of the deal terms: a histogram per range issue, bars per levels issue."""
    issues = [c[len("terms."):] for c in results.outcomes.columns if c.startswith("terms.")]
    fig, axes = new_axes(axes, ncols=max(1, len(issues)), squeeze=False,
                         figsize=(4 * max(1, len(issues)), 3.8))
    axes = np.ravel(axes)
    deals = results.outcomes[results.outcomes["agreed"].astype(bool)]
    for ax, issue in zip(axes, issues):
        _terms_panel(ax, results, issue, deals)
    if not issues:
        note(axes[0], "no issues in the results")
    fig.suptitle(_title(results, f"deal terms ({len(deals)} deals in {len(results.outcomes)} worlds)"))
    return fig


def utilities(results, *, ax=None) -> Figure:
    """Each actor's utility from the deals reached, as a box per actor in the actor's colour."""
    fig, ax = new_axes(ax)
    actors, colors = actors_of(results), actor_colors(results)
    deals = results.outcomes[results.outcomes["agreed"].astype(bool)]
    if deals.empty:
        note(ax, f"no deals in {len(results.outcomes)} worlds")
    else:
        data = [deals[f"utility.{a}"].dropna().to_numpy(dtype=float) for a in actors]
        boxes = ax.boxplot(data, patch_artist=True, widths=0.6, medianprops=dict(color="black"))
        for patch, a in zip(boxes["boxes"], actors):
            patch.set(facecolor=colors[a], alpha=0.75)
        ax.set_xticks(range(1, len(actors) + 1), [_label(results, a) for a in actors])
    ax.set_xlabel("actor")
    ax.set_ylabel("utility of the deal (own scale, 0-1)")
    ax.set_title(_title(results, f"what each actor gets ({len(deals)} deals in {len(results.outcomes)} worlds)"))
    return fig
