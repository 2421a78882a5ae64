"""The statistics every summary uses: shares with Wilson intervals, median dates and rounds, modes.

One function per statistic, so the ``zopa run`` summary and the analysis tables cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["wilson", "median_date", "median_round", "central_term", "floats", "KINDS", "kinds_by_date", "spread",
           "date_spread"]


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


def floats(col: pd.Series) -> np.ndarray:
    """A column as floats, NaN where missing (nullable integers included)."""
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def median_date(dates: pd.Series) -> pd.Timestamp:
    """The lower median of the dates that happened: a real calendar date, never between two (NaT if none)."""
    d = np.asarray(pd.to_datetime(dates).to_numpy(), dtype="datetime64[ms]")   # ns would wrap before 1677
    d = np.sort(d[~np.isnat(d)])
    if not len(d):
        return pd.NaT
    return pd.Timestamp(d[(len(d) - 1) // 2])


def median_round(rounds: pd.Series) -> float:
    """Median of the rounds that happened (NaN if none)."""
    r = floats(rounds)
    r = r[~np.isnan(r)]
    return float(np.median(r)) if len(r) else np.nan


def central_term(values: pd.Series):
    """The median of numeric terms, or the most common level (ties to the one seen first); None if none."""
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
    return levels[best[np.argmin(first[best])]]


# Outcome kinds a world reaches, as the first-round columns of the outcome table.
KINDS = {"talks": "talks held", "partial": "partial deal", "agreement": "settlement", "relapse": "relapse"}


def kinds_by_date(outcomes: pd.DataFrame, dates) -> pd.DataFrame:
    """Share of worlds that had reached each outcome kind (talks held, a partial deal, a settlement, a relapse)
    by each of ``dates``: one row per date, one column per kind."""
    rows = []
    for d in pd.to_datetime(list(dates)):
        row = {"date": d.date()}
        for kind in KINDS:
            when = pd.to_datetime(outcomes[f"{kind}_date"])
            row[kind] = float((when <= d).mean()) if len(outcomes) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def spread(values, lo: float = 0.1, hi: float = 0.9) -> tuple[float, float, float]:
    """Median and the ``lo``-``hi`` quantile range of the finite values (NaNs if none)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return (np.nan, np.nan, np.nan)
    return tuple(float(x) for x in np.quantile(v, [0.5, lo, hi]))


def date_spread(dates: pd.Series, lo: float = 0.1, hi: float = 0.9) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """:func:`median_date` and the ``lo``-``hi`` quantile range of the dates that happened, each a date that
    happened (the lower of two neighbours, as the median); NaTs if none."""
    d = np.asarray(pd.to_datetime(dates).to_numpy(), dtype="datetime64[ms]")
    d = np.sort(d[~np.isnat(d)])
    if not len(d):
        return (pd.NaT, pd.NaT, pd.NaT)
    at = [int(np.floor(q * (len(d) - 1))) for q in (lo, hi)]
    return (median_date(dates), pd.Timestamp(d[at[0]]), pd.Timestamp(d[at[1]]))
