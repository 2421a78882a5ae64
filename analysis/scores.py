"""Proper scoring rules for forecasts of yes/no events, dates and quantities (lower is better).

Gneiting & Raftery (2007), "Strictly proper scoring rules, prediction, and estimation", JASA 102:359.
"""

from __future__ import annotations

import numpy as np

__all__ = ["brier", "log_score", "rps", "crps_ensemble", "crps_point", "skill", "LOG_FLOOR",
           "date_probabilities", "hazard_probabilities"]

# A forecast of exactly 0 or 1 that turns out wrong has an infinite logarithmic score; every
# forecaster's probability is clipped to [LOG_FLOOR, 1 - LOG_FLOOR] for that score only.
LOG_FLOOR = 0.005


def brier(p: float, observed: bool) -> float:
    """Brier (1950) score: the squared error of the probability, (p - o)^2."""
    return float((p - float(observed)) ** 2)


def log_score(p: float, observed: bool, *, floor: float = LOG_FLOOR) -> float:
    """Logarithmic (ignorance) score -ln P(what happened), Good (1952); p clipped to [floor, 1 - floor]."""
    q = min(max(p, floor), 1.0 - floor)
    return float(-np.log(q if observed else 1.0 - q))


def rps(probabilities: np.ndarray, observed: int) -> float:
    """Ranked probability score (Epstein 1969): sum over categories of (F_k - O_k)^2, F and O cumulative.

    For a date censored at round K the categories are rounds 0..K and "after K"; an event not seen by
    the censoring date is observed in the last category, so it is scored on what was known, and no
    more (a censored observation scored as censored).
    """
    p = np.asarray(probabilities, dtype=float)
    cdf = np.cumsum(p)[:-1]
    truth = (np.arange(len(p) - 1) >= observed).astype(float)
    return float(np.sum((cdf - truth) ** 2))


def crps_ensemble(samples: np.ndarray, observed: float) -> float:
    """CRPS of an ensemble: E|X - y| - E|X - X'| / 2 (Gneiting & Raftery 2007, eq. 21), exact in O(n log n)."""
    x = np.sort(np.asarray(samples, dtype=float))
    n = len(x)
    if n == 0:
        return float("nan")
    spread = 2.0 * np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / n ** 2     # E|X - X'|
    return float(np.mean(np.abs(x - observed)) - spread / 2)


def crps_point(value: float, observed: float) -> float:
    """CRPS of a point forecast: the absolute error."""
    return float(abs(value - observed))


def skill(score: float, reference: float) -> float:
    """Skill score 1 - S / S_ref: 1 perfect, 0 as good as the reference, negative worse (NaN if S_ref = 0)."""
    if not np.isfinite(reference) or reference == 0:
        return float("nan")
    return float(1.0 - score / reference)


def date_probabilities(values: np.ndarray, categories: int) -> np.ndarray:
    """An ensemble's probability of each date category (round 0..K, then "after K")."""
    counts = np.bincount(np.asarray(values, dtype=int), minlength=categories)[:categories]
    return counts / max(1, counts.sum())


def hazard_probabilities(hazard: float, categories: int, *, start: int = 1) -> np.ndarray:
    """Date categories under a constant chance ``hazard`` per round from round ``start`` on (geometric)."""
    k = categories - 1
    p = np.zeros(categories)
    rounds = np.arange(start, k)
    p[start:k] = hazard * (1 - hazard) ** (rounds - start)
    p[k] = 1.0 - p[:k].sum()
    return p
