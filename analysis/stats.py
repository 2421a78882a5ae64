"""Statistics over ensembles of worlds: shares with intervals, medians, one row per sweep point."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["wilson", "EVENTS", "summarise", "points_table", "join_points"]

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


def _floats(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _median_date(dates: pd.Series) -> pd.Timestamp:
    d = np.asarray(pd.to_datetime(dates).to_numpy(), dtype="datetime64[ns]")
    d = np.sort(d[~np.isnat(d)])
    if not len(d):
        return pd.NaT
    return pd.Timestamp(d[(len(d) - 1) // 2])  # a real calendar date, never between two


def _median_round(rounds: pd.Series) -> float:
    r = _floats(rounds)
    r = r[~np.isnan(r)]
    return float(np.median(r)) if len(r) else np.nan


def _central_term(values: pd.Series):
    v = values.to_numpy()
    if pd.api.types.is_numeric_dtype(values):
        v = v.astype(float)
        v = v[~np.isnan(v)]
        return float(np.median(v)) if len(v) else None
    v = np.array([str(x) for x in v if x is not None and x == x], dtype=object)
    if not len(v):
        return None
    levels, first, counts = np.unique(v, return_index=True, return_counts=True)
    best = np.flatnonzero(counts == counts.max())
    return levels[best[np.argmin(first[best])]]  # mode; ties go to the first seen


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
    agreed = outcomes["agreed"].to_numpy(dtype=bool)
    for name, col in _SHARES.items():
        k = int(agreed.sum()) if name == "p_deal" else int(outcomes[col].notna().to_numpy().sum())
        row[name], row[f"{name}_lo"], row[f"{name}_hi"] = wilson(k, n)
    for event in EVENTS:
        row[f"{event}_round_median"] = _median_round(outcomes[f"{event}_round"])
        row[f"{event}_date_median"] = _median_date(outcomes[f"{event}_date"])
    if horizon is not None and n:
        rounds = _floats(outcomes["zopa_round"])
        row["rounds_to_zopa"] = float(np.where(np.isnan(rounds), horizon + 1, rounds).mean())
    for col in (c for c in outcomes.columns if c.startswith("terms.")):
        row[col] = _central_term(outcomes[col][agreed])
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
    return _term_types(pd.DataFrame(rows))


def join_points(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Per-chunk point tables as one, in point order."""
    return _term_types(pd.concat(tables, ignore_index=True).sort_values("point", kind="stable"))


def _term_types(table: pd.DataFrame) -> pd.DataFrame:
    for col in (c for c in table.columns if c.startswith("terms.")):
        if table[col].map(lambda v: isinstance(v, str)).any():
            table[col] = table[col].astype(object)
        else:
            table[col] = table[col].astype(float)
    return table.reset_index(drop=True)
