"""Statistics over ensembles of worlds: shares with intervals, medians, one row per sweep point."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["wilson", "EVENTS", "summarise", "points_table"]

# event name in the tables -> label used in figures
EVENTS = {"zopa": "ZOPA opens", "talks": "talks start", "agreement": "deal agreed"}
_SHARES = {"p_zopa": "zopa_round", "p_talks": "talks_round", "p_deal": "agreement_round"}


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float, float]:
    """Share ``k / n`` with its Wilson score interval (Wilson 1927), 95% by default.

    Unlike the normal approximation it stays inside [0, 1] and is sensible at k = 0 or k = n.
    Returns NaNs when ``n == 0``.
    """
    if n == 0:
        return (np.nan, np.nan, np.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (p, max(0.0, centre - half), min(1.0, centre + half))


def _median_date(dates: pd.Series) -> pd.Timestamp:
    dates = pd.to_datetime(dates).dropna()
    if dates.empty:
        return pd.NaT
    return dates.sort_values().iloc[(len(dates) - 1) // 2]  # a real calendar date, never between two


def _median_round(rounds: pd.Series) -> float:
    rounds = pd.to_numeric(rounds, errors="coerce").dropna()
    return float(rounds.median()) if len(rounds) else np.nan


def _central_term(values: pd.Series):
    values = values.dropna()
    if values.empty:
        return None
    if pd.api.types.is_numeric_dtype(values):
        return float(values.median())
    counts = values.astype(str).value_counts(sort=False)
    return counts.index[int(np.argmax(counts.to_numpy()))]  # mode; ties go to the first seen


def summarise(outcomes: pd.DataFrame, horizon: int | None = None) -> dict:
    """One ensemble's headline numbers.

    Shares ``p_zopa``, ``p_talks``, ``p_deal`` (by the horizon) with 95% Wilson intervals
    (``_lo``, ``_hi``); for each event the median round and date among worlds where it happened
    (``zopa_round_median``, ``zopa_date_median``...); ``rounds_to_zopa``, the mean round the ZOPA
    opened counting never as ``horizon + 1`` (a restricted mean, defined even when it never opens);
    and per issue the median deal term, or the most common level for levels issues.
    """
    n = len(outcomes)
    row: dict = {"worlds": n}
    for name, col in _SHARES.items():
        k = int(outcomes[col].notna().sum()) if name != "p_deal" else int(outcomes["agreed"].sum())
        row[name], row[f"{name}_lo"], row[f"{name}_hi"] = wilson(k, n)
    for event in EVENTS:
        row[f"{event}_round_median"] = _median_round(outcomes[f"{event}_round"])
        row[f"{event}_date_median"] = _median_date(outcomes[f"{event}_date"])
    if horizon is not None and n:
        rounds = pd.to_numeric(outcomes["zopa_round"], errors="coerce").astype(float)
        row["rounds_to_zopa"] = float(rounds.fillna(horizon + 1).mean())
    for col in (c for c in outcomes.columns if c.startswith("terms.")):
        row[col] = _central_term(outcomes.loc[outcomes["agreed"].astype(bool), col])
    return row


def points_table(runs: pd.DataFrame, varied: list[str], horizon: int) -> pd.DataFrame:
    """Summarise a sweep's ``runs`` (one row per world) into one row per point.

    ``horizon`` is used unless ``horizon`` itself is one of the varied columns.
    """
    rows = []
    for point, group in runs.groupby("point", sort=True):
        h = int(group["horizon"].iloc[0]) if "horizon" in varied else horizon
        head = {"point": point, **{v: group[v].iloc[0] for v in varied}}
        rows.append({**head, **summarise(group, h)})
    table = pd.DataFrame(rows)
    for col in (c for c in table.columns if c.startswith("terms.")):
        if table[col].map(lambda v: isinstance(v, str)).any():
            table[col] = table[col].astype(object)
        else:
            table[col] = table[col].astype(float)
    return table.reset_index(drop=True)
