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
import warnings

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import figure as _figure
from scipy import stats

from ..sim.stats import median_date
from .stats import EVENTS

__all__ = ["actor_colors", "zopa_timeline", "survival", "terms", "utilities", "ripeness_line"]

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

def _held(hist: pd.DataFrame, column: str, rounds: np.ndarray, worlds: np.ndarray) -> np.ndarray:
    """``column`` of the history as a (round, world) array, each world held at its last row after it:
    a world's rows end with its deal, so a world with a deal keeps its values at the deal."""
    out = np.full((len(rounds), len(worlds)), np.nan)
    r = np.searchsorted(rounds, hist["round"].to_numpy())
    w = np.searchsorted(worlds, hist["world"].to_numpy())
    out[r, w] = hist[column].to_numpy(dtype=float)
    return pd.DataFrame(out).ffill().to_numpy()


def timeline_table(results, *, world: int | None = None) -> pd.DataFrame:
    """The numbers :func:`zopa_timeline` draws, one row per round, over every world.

    A world's history ends with its deal (unless deals can relapse); from then on, to the horizon, it
    is held at its values at the deal, so the statistics at each date are over all worlds, never over
    the survivors only. Columns: ``round``, ``date``, per actor ``reservation.<actor>.median``, ``.q10``, ``.q90``,
    and the shares of worlds with a deal in force (``deal``), with an open ZOPA and no deal
    (``open``) and ripe (``ripe``, where the history has it).
    """
    hist = _history(results, world)
    rounds = np.arange(max(_horizon(results), int(hist["round"].max()) + 1))
    worlds = np.sort(hist["world"].unique())
    out = {"round": rounds, "date": round_dates(results, rounds)}
    for actor in actors_of(results):
        held = _held(hist, f"reservation.{actor}", rounds, worlds)
        for name, q in (("median", 0.5), ("q10", 0.1), ("q90", 0.9)):
            out[f"reservation.{actor}.{name}"] = np.quantile(held, q, axis=1)
    deal = _held(hist, "agreed", rounds, worlds) > 0
    out["deal"] = deal.mean(axis=1)
    out["open"] = ((_held(hist, "zopa_open", rounds, worlds) > 0) & ~deal).mean(axis=1)
    if "ripe" in hist.columns:
        out["ripe"] = (_held(hist, "ripe", rounds, worlds) > 0).mean(axis=1)
    return pd.DataFrame(out)


def _follows_deals(results, outcomes: pd.DataFrame) -> bool:
    """Whether the history goes on after a deal (settlements can relapse), read from the tables: results
    loaded without their scenario draw the same figure."""
    dealt = outcomes["agreement_round"].notna()
    if not dealt.any():
        return False
    last = results.history.groupby("world")["round"].max()
    return bool((last.reindex(outcomes.loc[dealt, "world"]).to_numpy()
                 > outcomes.loc[dealt, "agreement_round"].to_numpy(dtype=float)).any())


def _history(results, world: int | None) -> pd.DataFrame:
    hist = getattr(results, "history", None)
    if hist is None:
        raise ValueError("found results without history, expected simulate(..., history=True)")
    if world is None:
        return hist
    if world not in set(hist["world"]):
        raise ValueError(f"found world={world}, expected one of 0..{hist['world'].max()}")
    return hist[hist["world"] == world]


def _marks(results, outcomes: pd.DataFrame, single: bool) -> list[tuple[pd.Timestamp, str, str]]:
    """``(date, kind, label)`` of what happened: talks and the deal (their median dates over the worlds
    that reached them, with the share that did), and the scenario's dated events."""
    out = []
    for event, words in (("talks", "talks start"), ("agreement", "deal agreed")):
        dates = pd.to_datetime(outcomes[f"{event}_date"]).dropna()
        if not dates.empty:
            when = dates.iloc[0] if single else median_date(dates)
            share = "" if single else f" (median date; {len(dates) / len(outcomes):.0%} of worlds)"
            out.append((pd.Timestamp(when), event, words + share))
    scenario = getattr(results, "scenario", None)
    for ev in getattr(scenario, "events", None) or []:
        what = ", ".join(f"{k} {_short(v)}" for k, v in ev.set.items())
        out.append((pd.Timestamp(ev.date), "event", textwrap.shorten(f"event: {what}", 60)))
    return sorted(out, key=lambda m: m[0])


def _short(value) -> str:
    if isinstance(value, dict) and len(value) == 1:
        (kind, args), = value.items()
        return f"~{kind}{list(args) if isinstance(args, (list, tuple)) else args}"
    return str(value)


MARK_STYLE = {"talks": dict(color="0.6", lw=3.2, ls="-"), "agreement": dict(color="black", lw=1.3, ls=":"),
              "event": dict(color="0.25", lw=1.0, ls="-.")}


def _draw_marks(axes, marks) -> None:
    """A vertical line per mark across ``axes``, labelled at the top of the first; the talks line is wide
    and pale and the deal line thin and dark, so that either shows when both fall on one date."""
    lo, hi = axes[0].get_xlim()
    last, side = None, "right"
    for when, kind, label in marks:
        for ax in axes:
            ax.axvline(when, zorder=1.5, **MARK_STYLE[kind])
        x = mdates.date2num(when)
        side = "left" if last is not None and x - last < 0.04 * (hi - lo) and side == "right" else "right"
        axes[0].annotate(label, (when, 0.98), xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                         ha=side, va="top", xytext=(-2 if side == "right" else 2, 0), textcoords="offset points",
                         bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8), zorder=4)
        last = x


def _reservation_panel(ax, results, table: pd.DataFrame, single: bool) -> None:
    colors = actor_colors(results)
    for actor in actors_of(results):
        c, col = colors[actor], f"reservation.{actor}"
        ax.plot(table["date"], table[f"{col}.median"], color=c, lw=2, label=_label(results, actor), zorder=3)
        if not single:
            ax.fill_between(table["date"], table[f"{col}.q10"], table[f"{col}.q90"], color=c, alpha=0.12, lw=0)
            for q in ("q10", "q90"):
                ax.plot(table["date"], table[f"{col}.{q}"], color=c, lw=0.7, alpha=0.7, zorder=2)
    if not single:
        ax.fill_between([], [], [], color="0.5", alpha=0.25, lw=0, label="10-90% of worlds (thin lines)")
    ax.axhline(0, color="0.5", lw=0.6, zorder=1)
    ax.set_ylabel("reservation (utility: 1 = own ideal deal,\n0 = own worst deal; below 0 = worse)", fontsize=9)


def _share_panel(ax, table: pd.DataFrame) -> None:
    ax.stackplot(table["date"], 100 * table["deal"], 100 * table["open"], step="post", lw=0,
                 colors=["0.35", "0.78"], labels=["deal in force", "ZOPA open, no deal yet"])
    if "ripe" in table.columns:
        ax.step(table["date"], 100 * table["ripe"], where="post", color="black", lw=1.2, ls="--",
                label="ripe (Zartman 2000), no deal yet")
    ax.set_ylim(0, 100)
    ax.set_ylabel("worlds (%)", fontsize=9)


def zopa_timeline(results, *, world: int | None = None, ax=None) -> Figure:
    """Each actor's reservation over the calendar, with below it the share of worlds whose ZOPA is open.

    Parameters
    ----------
    results : sim.Results
        Simulated with ``history=True``.
    world : int, optional
        Draw one world. By default the ensemble: each actor's median and 10-90% band over all worlds,
        a world with a deal held at its values at the deal (:func:`timeline_table`).
    ax : matplotlib Axes, optional
        Draw the reservations only, on these axes (the shares panel needs a figure of its own).

    The median dates of talks and of a deal, and the scenario's dated events, are marked with labels.
    """
    table = timeline_table(results, world=world)
    outcomes = results.outcomes if world is None else results.outcomes[results.outcomes["world"] == world]
    single = len(outcomes) == 1
    if ax is None:
        fig = Figure(figsize=(9, 6), layout="constrained")
        ax, low = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.1])
        _share_panel(low, table)
        axes = [ax, low]
    else:
        fig, axes = ax.figure, [ax]
    _reservation_panel(ax, results, table, single)
    for a in axes:
        date_axis(a)
    for a in axes[:-1]:                           # shared dates: named on each axis, shown once
        a.xaxis.label.set_visible(False)
    _draw_marks(axes, _marks(results, outcomes, single))
    held = ("a settled world follows its own history (deals can relapse)" if _follows_deals(results, outcomes)
            else "a world with a deal is held at its values at the deal")
    which = f"world {world}" if world is not None else f"median and 10-90% of all {len(outcomes)} worlds; {held}"
    ax.set_title(_title(results, "reservations and the ZOPA") + "\n" + textwrap.fill(f"({which})", 95),
                 fontsize=10)
    for a in axes:
        a.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
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
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    # outside the axes, clear of the right axis' tick labels: nothing drawn is hidden under it
    twin.legend(handles + more, labels + words, fontsize=7, loc="upper left", bbox_to_anchor=(1.1, 1),
                borderaxespad=0)
    return twin


# ------------------------------------------------------------------------------------- survival

def _km(r: np.ndarray, rounds: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan-Meier survival after each of ``rounds`` and its pointwise confidence band (Greenwood's
    variance, log-log transformed), from event rounds ``r`` (NaN: censored at the last round)."""
    seen = np.isfinite(r)
    ones = np.ones(len(rounds))
    if not seen.any():
        return ones, ones * np.nan, ones * np.nan
    data = stats.CensoredData(uncensored=r[seen], right=np.full(int((~seen).sum()), float(rounds[-1])))
    sf = stats.ecdf(data).sf
    with warnings.catch_warnings():    # undefined where the estimate is 0 or 1: NaN there, as documented
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(level)
    return sf.evaluate(rounds), band.low.evaluate(rounds), band.high.evaluate(rounds)


def survival_table(outcomes: pd.DataFrame, horizon: int, *, level: float = 0.95) -> pd.DataFrame:
    """Share of worlds still without each event after each round 0..horizon-1, with a confidence band.

    The Kaplan-Meier estimate (Kaplan & Meier 1958), every world censored at the horizon (so it equals
    the empirical survival function), computed by :func:`scipy.stats.ecdf`; ``<event>_lo`` and
    ``<event>_hi`` bound its pointwise ``level`` interval (Greenwood 1926, log-log; NaN where no world
    reached the event).
    """
    rounds = np.arange(horizon)
    table = {"round": rounds}
    for event in (e for e in EVENTS if f"{e}_round" in outcomes.columns):
        r = pd.to_numeric(outcomes[f"{event}_round"]).astype(float).to_numpy()
        table[event], table[f"{event}_lo"], table[f"{event}_hi"] = _km(r, rounds, level)
    return pd.DataFrame(table)


# wide pale lines under thin dark ones, so that curves falling on one another all show
SURVIVAL_STYLE = {"zopa": dict(color="0.72", lw=5, ls="-"), "talks": dict(color="0.4", lw=2.6, ls="--"),
                  "partial": dict(color="#2e86c1", lw=2, ls="-."), "agreement": dict(color="black", lw=1.3, ls="-"),
                  "relapse": dict(color="#c0392b", lw=1.3, ls=(0, (1, 1)))}


def _steps(column: pd.Series) -> np.ndarray:
    """A survival column as percentages over rounds -1..horizon (1 before round 0, held after the last)."""
    s = column.to_numpy(dtype=float)
    return 100 * np.concatenate([[1.0], s, [s[-1]]])


def survival(results, *, ax=None, level: float = 0.95) -> Figure:
    """Time to a ZOPA, to talks and to a deal as survival curves on a calendar axis, each with its
    pointwise ``level`` confidence band (:func:`survival_table`)."""
    fig, ax = new_axes(ax)
    horizon = _horizon(results)
    table = survival_table(results.outcomes, horizon, level=level)
    dates = round_dates(results, range(-1, horizon + 1))
    for z, (event, words) in enumerate(EVENTS.items()):
        if event in OPTIONAL_EVENTS and results.outcomes[f"{event}_round"].isna().all():
            continue
        style = SURVIVAL_STYLE[event]
        ax.step(dates, _steps(table[event]), where="post", label=f"until {words}", zorder=3 + z, **style)
        ax.fill_between(dates, _steps(table[f"{event}_lo"]), _steps(table[f"{event}_hi"]), step="post",
                        color=style["color"], alpha=0.18, lw=0, zorder=2)
    ax.fill_between([], [], [], color="0.5", alpha=0.3, lw=0, label=f"{level:.0%} confidence bands")
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
