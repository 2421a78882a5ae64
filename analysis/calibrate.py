"""Calibration to history: likelihood-free rejection ABC over the worlds of an ensemble.

Every world draws its own parameters (the prior) and then lives its own history. A world is accepted
when it reproduces every fitting observation: a yes/no event exactly, a date within ``date_tolerance``
rounds (a censored date: not before the censoring round), a quantity within its tolerance. The
accepted worlds' parameters are a sample of the approximate posterior (Pritchard et al. 1999;
Beaumont, Zhang & Balding 2002); with exact matching of discrete data it is the exact posterior
(Rubin 1984). Weights are uniform, so the effective sample size is the number of worlds accepted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import sim
from ..sim.scenario.observations import Observations, load_observations
from .observed import Answers, answers

__all__ = ["Calibration", "calibrate", "matches", "effective_sample_size", "strongest",
           "CalibrationWarning", "write_posterior"]

MIN_ESS = 100


class CalibrationWarning(UserWarning):
    """Too few worlds accepted for the posterior to be trusted."""


@dataclass
class Calibration:
    """The prior (every world's sampled parameters), the accepted worlds and how they were chosen."""

    scenario: object
    prior: pd.DataFrame
    accepted: np.ndarray
    fit: list[str]
    tolerances: dict
    record: dict = field(default_factory=dict)
    results: object = field(default=None, repr=False)   # the prior ensemble, histories included

    @property
    def posterior(self) -> pd.DataFrame:
        return self.prior[self.accepted]

    @property
    def ess(self) -> float:
        return effective_sample_size(self.accepted.astype(float))

    @property
    def parameters(self) -> list[str]:
        return [c for c in self.prior.columns if c not in ("world", "seed", "spawn_key")]


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2; the number accepted for 0/1 weights."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w ** 2)) if np.any(w > 0) else 0.0


def matches(a: Answers, *, tolerance: float | None = None, date_tolerance: int = 0) -> np.ndarray:
    """Which worlds reproduce the observation (see the module's docstring for the rule per kind)."""
    kind = a.observation.kind
    if kind == "event":
        return a.values == a.observed
    if kind == "date":
        tail = a.categories - 1
        if a.observed == tail:
            return a.values >= tail - date_tolerance
        return np.abs(a.values - a.observed) <= date_tolerance
    if tolerance is None:
        raise ValueError(f"observation {a.observation.id}: found no tolerance for a quantity, expected "
                         "tolerance: in the observation file or --tolerance")
    return np.abs(a.values - a.observed) <= tolerance


def _sampled(outcomes: pd.DataFrame, scenario) -> pd.DataFrame:
    first = outcomes.columns.get_loc("zopa_round")
    return outcomes.iloc[:, :first].copy()


def calibrate(scenario, observations, *, runs: int = 10_000, seed: int = 0, until=None,
              tolerance: float | None = None, date_tolerance: int = 0, min_ess: int = MIN_ESS) -> Calibration:
    """Rejection ABC: simulate ``runs`` worlds, keep those that reproduce the fitting observations.

    Parameters
    ----------
    scenario : path or Scenario
    observations : path or Observations
    runs, seed : keyword-only; the same seed accepts the same worlds.
    until : datetime.date, keyword-only; fit only observations known by this date (the rest are held
        out for scoring); None fits them all.
    tolerance : float, keyword-only; for quantities whose observation gives none (absolute units).
    date_tolerance : int, keyword-only; rounds a date may miss by.
    min_ess : int, keyword-only; warn (:class:`CalibrationWarning`) below this effective sample size.
    """
    s = scenario if isinstance(scenario, sim.Scenario) else sim.load_scenario(scenario)
    obs = observations if isinstance(observations, Observations) else load_observations(observations)
    fit = [o for o in obs.observations if (until is None or o.when <= until) and not o.pending]
    if not fit:
        raise ValueError(f"{obs.file}: found no observation known by {until}, expected at least one to fit")
    results = sim.simulate(s, runs=runs, seed=seed, history=True)
    found = [a for a in answers(obs, results) if a.observation in fit]
    tolerances = {a.observation.id: a.observation.tolerance or tolerance for a in found
                  if a.observation.kind == "quantity"}
    keep = np.ones(runs, dtype=bool)
    for a in found:
        keep &= matches(a, tolerance=tolerances.get(a.observation.id), date_tolerance=date_tolerance)
    result = Calibration(s, _sampled(results.outcomes, s), keep, [o.id for o in fit], tolerances,
                         {"scenario": s.file, "observations": obs.file, "runs": runs, "seed": seed,
                          "until": str(until) if until else None, "date_tolerance": date_tolerance,
                          "method": "rejection ABC over worlds", "accepted": int(keep.sum())}, results)
    if not keep.any():
        warnings.warn(f"{s.file}: no world of {runs} reproduces every fitting observation: the model may be "
                      "unable to produce them together, or more worlds are needed; no posterior",
                      CalibrationWarning, stacklevel=2)
    elif result.ess < min_ess:
        warnings.warn(f"{s.file}: only {result.ess:.0f} of {runs} worlds reproduce the fitting observations "
                      f"(effective sample size below {min_ess}); the posterior is rough: simulate more worlds "
                      "or loosen the tolerances", CalibrationWarning, stacklevel=2)
    return result


def strongest(cal: Calibration) -> pd.DataFrame:
    """Per parameter: prior and posterior mean and sd, and the shift of the mean in prior sds, largest first."""
    rows = []
    for col in cal.parameters:
        prior = pd.to_numeric(cal.prior[col], errors="coerce")
        post = prior[cal.accepted]
        sd = float(prior.std())
        shift = abs(float(post.mean()) - float(prior.mean())) / sd if sd > 0 and len(post) else 0.0
        rows.append({"parameter": col, "prior mean": float(prior.mean()), "prior sd": sd,
                     "posterior mean": float(post.mean()) if len(post) else np.nan,
                     "posterior sd": float(post.std()) if len(post) > 1 else np.nan, "shift (prior sd)": shift})
    table = pd.DataFrame(rows, columns=["parameter", "prior mean", "prior sd", "posterior mean", "posterior sd",
                                        "shift (prior sd)"])
    return table.sort_values("shift (prior sd)", ascending=False, kind="stable").reset_index(drop=True)


def write_posterior(cal: Calibration, out: str | Path, *, draws: int = 200, seed: int = 0) -> Path:
    """A scenario ``zopa run`` forecasts from: each calibrated parameter becomes ``choice`` over the
    values of ``draws`` accepted worlds resampled with replacement (the posterior's marginals; the
    dependence between parameters, and each world's own battle path, are not carried over).
    """
    from ..sim.scenario.derived import write_derived

    if not cal.accepted.any():
        raise ValueError(f"{cal.record['scenario']}: found no accepted world, expected at least one to "
                         "write a posterior scenario from")
    rng = np.random.default_rng(seed)
    pick = rng.choice(np.flatnonzero(cal.accepted), size=draws, replace=True)
    note = (f"Posterior: parameters resampled from {int(cal.accepted.sum())} of {len(cal.accepted)} worlds that "
            f"reproduced {', '.join(cal.fit)} in {cal.record['observations']} (rejection ABC, seed "
            f"{cal.record['seed']}); each parameter is a choice over {draws} accepted worlds' values.")
    values = {}
    for col in cal.parameters:
        drawn = [float(v) for v in cal.prior[col].to_numpy()[pick]]
        values[col] = {"choice": drawn, "evidence": {"note": "calibrated posterior (resampled accepted worlds)"}}
    return write_derived(cal.scenario.file, values, out, name=f"{cal.scenario.name}-posterior", note=note)
