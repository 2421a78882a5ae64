"""Statistics over ensembles of worlds: shares with intervals, medians, one row per sweep point."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sim.stats import central_term, floats, median_date, median_round, wilson

__all__ = ["wilson", "EVENTS", "summarise", "points_table", "join_points"]

# event name in the tables -> label used in figures
EVENTS = {"zopa": "ZOPA opens", "talks": "talks start", "partial": "partial deal", "agreement": "deal agreed",
          "relapse": "relapse"}
_SHARES = {"p_zopa": "zopa_round", "p_talks": "talks_round", "p_deal": "agreement_round"}


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
        row[f"{event}_round_median"] = median_round(outcomes[f"{event}_round"])
        row[f"{event}_date_median"] = median_date(outcomes[f"{event}_date"])
    if horizon is not None and n:
        rounds = floats(outcomes["zopa_round"])
        row["rounds_to_zopa"] = float(np.where(np.isnan(rounds), horizon + 1, rounds).mean())
    for col in (c for c in outcomes.columns if c.startswith("terms.")):
        row[col] = central_term(outcomes[col][agreed])
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
