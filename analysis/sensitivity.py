"""Variance-based sensitivity: which varied parameters drive the chance of a deal, or its timing.

First-order and total Sobol' indices (Sobol' 2001) estimated by SALib from a Saltelli sample
(Saltelli 2002; Saltelli et al. 2010), with bootstrap confidence intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .design import design_points, salib_problem

__all__ = ["sobol_indices"]


def _check_sample(sweep) -> None:
    """Rebuild SALib's sample from the sweep's arguments; the sweep must have visited exactly it."""
    if sweep.design != "saltelli":
        raise ValueError(f"found design {sweep.design!r}, expected 'saltelli': Sobol' indices need "
                         "SALib's paired sample matrices (design 'sobol' only fills the box evenly)")
    design_seed = np.random.SeedSequence(sweep.config["seed"]).spawn(2)[0]
    expected = design_points(sweep.vary, design="saltelli", samples=sweep.config["samples"], seed=design_seed)
    got = sweep.points.sort_values("point")[list(sweep.vary)].to_numpy(dtype=float)
    if got.shape != expected.shape or not np.allclose(got, expected.to_numpy(), rtol=0, atol=1e-12):
        raise ValueError("found points that are not SALib's Saltelli sample for this sweep's arguments")


def sobol_indices(sweep, outcome: str = "p_deal", *, num_resamples: int = 1000,
                  conf_level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Sobol' indices of one outcome with respect to each varied parameter.

    Parameters
    ----------
    sweep : Sweep
        Run with ``design="saltelli"``; its points are SALib's sample, in SALib's order.
    outcome : str
        A numeric column of ``sweep.points``: ``"p_deal"`` (chance of a deal by the horizon),
        ``"rounds_to_zopa"`` (restricted mean time to a ZOPA), ``"p_zopa"``...
    num_resamples, conf_level, seed
        Passed to ``SALib.analyze.sobol.analyze`` for the bootstrap intervals.

    Returns
    -------
    pandas.DataFrame
        One row per parameter: ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``; ``_conf`` is
        the half-width of the ``conf_level`` interval.
    """
    from SALib.analyze import sobol as salib_sobol

    _check_sample(sweep)
    if outcome not in sweep.points or not pd.api.types.is_numeric_dtype(sweep.points[outcome]):
        numeric = [c for c in sweep.points.columns if pd.api.types.is_numeric_dtype(sweep.points[c])]
        raise ValueError(f"found outcome {outcome!r}, expected a numeric points column: {', '.join(numeric)}")
    y = sweep.points.sort_values("point")[outcome].to_numpy(dtype=float)
    if not np.isfinite(y).all():
        raise ValueError(f"found missing values of {outcome!r} at some points, expected a value at every point")
    with np.errstate(divide="ignore", invalid="ignore"):
        si = salib_sobol.analyze(salib_problem(sweep.vary), y, calc_second_order=False,
                                 num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    return pd.DataFrame({"parameter": list(sweep.vary), "S1": si["S1"], "S1_conf": si["S1_conf"],
                         "ST": si["ST"], "ST_conf": si["ST_conf"]})
