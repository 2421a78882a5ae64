"""Each world's answer to each observation: the one place that maps dates to rounds and reads columns.

A date is resolved to a round on the scenario's calendar: a ``by``, ``at`` or ``censored_at`` date to
the last round on or before it (what the model had done by then), an event's real date to the first
round on or after it (the round in which the model would record it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..sim.model.worlds import round_dates
from ..sim.scenario.observations import Observation, Observations, column_problem, observation_problem

__all__ = ["Answers", "answers", "world_answers", "round_floor", "round_ceil"]


@dataclass(frozen=True)
class Answers:
    """Per-world answers to one observation and the observed answer, on a common scale.

    ``values`` are bool (event), a category 0..K+1 (date: the round of the first event, K+1 for
    "after round K", the censoring round) or a float (quantity, NaN where the world has none).
    """

    observation: Observation
    values: np.ndarray
    observed: bool | int | float | None     # None: pending (not known yet)
    categories: int = 0          # dates only: K + 2


def _dates(results) -> np.ndarray:
    s = results.scenario
    return round_dates(s.calendar.start, s.calendar.step, s.horizon + 1)


def round_floor(dates: np.ndarray, when: dt.date) -> int:
    """The last round dated on or before ``when`` (-1 if ``when`` is before the start)."""
    return int(np.searchsorted(dates, np.datetime64(when, "D"), side="right")) - 1


def round_ceil(dates: np.ndarray, when: dt.date) -> int:
    """The first round dated on or after ``when`` (len(dates) if after the horizon)."""
    return int(np.searchsorted(dates, np.datetime64(when, "D"), side="left"))


def _table(results, o: Observation) -> pd.DataFrame:
    table = results.history if o.history else results.outcomes
    if table is None:
        raise ValueError(f"observation {o.id}: reads the history, expected results simulated with history=True")
    return table


def _as_of(results, o: Observation, r: int) -> np.ndarray:
    """The history column in every world at round ``r`` (the last row on or before it: rows stop at a deal)."""
    h = results.history
    rows = h[h["round"] <= r]
    last = rows.groupby("world", sort=True).tail(1).set_index("world")[o.column]
    return last.reindex(np.arange(results.runs)).to_numpy()


def _window_any(results, o: Observation, r0: int, r1: int) -> np.ndarray:
    h = results.history
    rows = h[(h["round"] >= r0) & (h["round"] <= r1)]
    hit = rows.groupby("world", sort=True)[o.column].any()
    return hit.reindex(np.arange(results.runs), fill_value=False).to_numpy(dtype=bool)


def _first_round(results, o: Observation, since: int = 0) -> np.ndarray:
    """Round of the first event on or after round ``since`` in every world, -1 where there is none.

    A ``*_round`` column holds only the first event ever, so one before ``since`` counts as none.
    """
    if not o.history:
        first = results.outcomes[o.column].astype("Float64").fillna(-1).to_numpy(dtype=float).astype(int)
        return np.where(first < since, -1, first)
    h = results.history
    first = h[h[o.column].astype(bool) & (h["round"] >= since)].groupby("world", sort=True)["round"].min()
    return first.reindex(np.arange(results.runs), fill_value=-1).to_numpy(dtype=int)


def _test(values: np.ndarray, o: Observation) -> np.ndarray:
    w = o.where
    if w.equals is not None:
        return np.array([v == w.equals for v in values], dtype=bool)
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    ok = np.ones(len(x), dtype=bool) if w.above is None else x > w.above
    return ok & (True if w.below is None else x < w.below)


def _event(results, o: Observation, dates: np.ndarray) -> np.ndarray:
    r1 = round_floor(dates, o.by)
    r0 = 0 if o.from_ is None else round_ceil(dates, o.from_)
    if o.where is not None:
        values = _as_of(results, o, r1) if o.history else results.outcomes[o.column].to_numpy()
        return _test(values, o)
    if o.history:
        return _window_any(results, o, r0, r1)
    first = _first_round(results, o)
    return (first >= r0) & (first <= r1)


def _date(results, o: Observation, dates: np.ndarray) -> tuple[np.ndarray, int, int]:
    k = round_floor(dates, o.censored_at)
    first = _first_round(results, o, 0 if o.from_ is None else round_ceil(dates, o.from_))
    values = np.where((first < 0) | (first > k), k + 1, first)
    observed = k + 1 if o.observed is None else min(round_ceil(dates, o.observed), k + 1)
    return values, observed, k + 2


def _quantity(results, o: Observation, dates: np.ndarray) -> np.ndarray:
    raw = _as_of(results, o, round_floor(dates, o.at)) if o.history else results.outcomes[o.column].to_numpy()
    return pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=float)


def _kind_mismatch(o: Observation, column: pd.Series) -> str | None:
    """Why the column cannot answer this kind of observation (None if it can)."""
    api = pd.api.types
    if o.kind == "quantity" or o.where is not None:
        if o.kind == "quantity" and not api.is_numeric_dtype(column) or api.is_bool_dtype(column):
            return f"found {o.reads!r} of type {column.dtype}, expected a numeric column for a quantity"
        return None
    if o.history and not api.is_bool_dtype(column):
        return f"found {o.reads!r} of type {column.dtype}, expected a yes/no history column (or a where test)"
    if not o.history and (api.is_bool_dtype(column) or not api.is_integer_dtype(column)):
        return (f"found {o.reads!r} of type {column.dtype}, expected a round column such as agreement_round "
                "(or a where test)")
    return None


def _check(obs: Observations, i: int, results, dates: np.ndarray) -> None:
    o = obs.observations[i]
    table = _table(results, o)
    problem = column_problem(obs, i, [c for c in table.columns if c not in ("world", "round", "seed")])
    if problem is not None:
        raise problem
    message = _kind_mismatch(o, table[o.column])
    if message:
        raise observation_problem(obs, i, "reads", message)
    first = pd.Timestamp(dates[0]).date()
    for key in ("by", "at", "censored_at", "from_"):
        when = getattr(o, key)
        if when is not None and when < first:
            raise observation_problem(obs, i, key.rstrip("_"), f"found {when}, before the scenario's start "
                                      f"{first}, expected a date on or after it")


def world_answers(obs: Observations, i: int, results) -> Answers:
    """Every world's answer to observation ``i`` of ``obs``, and the observed answer on the same scale."""
    dates = _dates(results)
    _check(obs, i, results, dates)
    o = obs.observations[i]
    if o.kind == "event":
        return Answers(o, _event(results, o, dates), None if o.pending else bool(o.observed))
    if o.kind == "date":
        values, observed, m = _date(results, o, dates)
        return Answers(o, values, observed, m)
    return Answers(o, _quantity(results, o, dates), None if o.pending else float(o.observed))


def answers(obs: Observations, results) -> list[Answers]:
    """:func:`world_answers` for every observation in the file, in order."""
    return [world_answers(obs, i, results) for i in range(len(obs.observations))]
