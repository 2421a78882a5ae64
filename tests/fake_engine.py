"""A stand-in for ``sim.simulate`` with the engine's table contract, used only while sim has none.

Each world's chance of an early ZOPA falls with the first actor's erosion and discount, so sweeps
over those paths give tables that differ from point to point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["install"]

_STEPS = {"day": "D", "week": "W", "month": "M"}


def _dates(scenario, rounds):
    unit = scenario.calendar.step
    start = pd.Timestamp(scenario.calendar.start)
    off = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}[unit]
    return [start + off * int(r) for r in rounds]


class FakeResults:
    def __init__(self, scenario, seed, runs, outcomes, history):
        self.scenario, self.seed, self.runs = scenario, seed, runs
        self.outcomes, self.history = outcomes, history


def _event(rng, n, rate, horizon):
    r = rng.geometric(rate, n) - 1
    return pd.Series(r, dtype="Int64").where(r < horizon)


def simulate(scenario, *, runs=1, seed=None, history=True):
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng = np.random.default_rng(ss)
    actors = list(scenario.actors)
    first = scenario.actors[actors[0]]
    rate = float(np.clip(0.3 - 2 * first.erosion.value + 0.2 * (first.discount.value - 0.9), 0.02, 0.9))
    h = scenario.horizon
    z = pd.Series(_event(rng, runs, rate, h))
    talks = z + pd.Series(rng.integers(0, 3, runs)).astype("Int64")
    talks = talks.where(talks < h)
    agree = talks + pd.Series(rng.integers(0, 3, runs)).astype("Int64")
    agree = agree.where(agree < h)
    dates = dict(zip(range(h), _dates(scenario, range(h))))
    to_date = lambda s: pd.to_datetime(s.map(lambda r: dates.get(r) if pd.notna(r) else pd.NaT))
    agreed = agree.notna().to_numpy(dtype=bool)
    out = pd.DataFrame({"world": np.arange(runs), "seed": int(ss.entropy) % 2**63,
                        "zopa_round": z, "talks_round": talks, "agreement_round": agree,
                        "zopa_date": to_date(z), "talks_date": to_date(talks), "agreement_date": to_date(agree),
                        "agreed": agreed})
    for iid, issue in scenario.issues.items():
        if issue.levels:
            vals = np.asarray(issue.levels, dtype=object)[rng.integers(0, len(issue.levels), runs)]
            out[f"terms.{iid}"] = pd.Series(np.where(agreed, vals, None), dtype=object)
        else:
            lo, hi = issue.range
            out[f"terms.{iid}"] = np.where(agreed, rng.uniform(lo, hi, runs), np.nan)
    for a in actors:
        out[f"utility.{a}"] = np.where(agreed, rng.uniform(0, 1, runs), np.nan)
    out["blocking"] = np.where(z.isna().to_numpy(dtype=bool), actors[0], "")
    hist = _history(scenario, out, actors, rng, dates) if history else None
    return FakeResults(scenario, int(ss.entropy) % 2**63, runs, out, hist)


def _history(scenario, out, actors, rng, dates):
    rows = []
    for w in range(len(out)):
        z, t, a = (out.loc[w, c] for c in ("zopa_round", "talks_round", "agreement_round"))
        for r in range(scenario.horizon):
            open_ = pd.notna(z) and r >= z
            row = {"world": w, "round": r, "date": dates[r], "zopa_open": open_,
                   "zopa_width": 0.1 * (r - z) if open_ else -np.inf,
                   "talks": bool(pd.notna(t) and r >= t), "agreed": bool(pd.notna(a) and r >= a),
                   "blocking": "" if open_ else actors[0]}
            for i, act in enumerate(actors):
                row[f"reservation.{act}"] = 0.5 + 0.3 * (-1) ** i * (1 - r / scenario.horizon) + rng.normal(0, 0.02)
            rows.append(row)
    return pd.DataFrame(rows)


def install():
    """Give ``sim`` a ``simulate`` if it has none yet; returns True if the fake is in use."""
    import sim
    if hasattr(sim, "simulate"):
        return False
    sim.simulate = simulate
    return True
