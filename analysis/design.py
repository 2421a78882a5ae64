"""Experimental designs: which parameter values a sweep visits.

A design turns ``vary`` (dotted scenario paths -> values or ranges) into a table with one row per
point. Grids enumerate lists; ``lhs``, ``sobol`` and ``random`` fill ``(lo, hi)`` boxes with
:mod:`scipy.stats.qmc`; ``saltelli`` is SALib's own sample (Saltelli 2002; Saltelli et al. 2010),
the only design whose points :func:`analysis.sobol_indices` can analyse.
"""

from __future__ import annotations

import itertools
import math
import numbers
from typing import Any, Mapping

__all__ = ["DESIGNS", "normalise_vary", "design_points", "salib_problem"]

DESIGNS = ("grid", "lhs", "sobol", "random", "saltelli")

# numpy (like pandas and scipy) is imported inside the functions: the zopa command reads DESIGNS at start-up.
def _scalar_types() -> tuple:
    import numpy as np

    return numbers.Number, str, bool, np.bool_


def _as_grid_values(path: str, values: Any) -> list:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"vary[{path!r}]: found {values!r}, expected a list of values for design 'grid'")
    import numpy as np

    out = [v.item() if isinstance(v, np.generic) else v for v in values]
    if not out:
        raise ValueError(f"vary[{path!r}]: found an empty list, expected at least one value")
    bad = [v for v in out if not isinstance(v, _scalar_types())]
    if bad:
        raise ValueError(f"vary[{path!r}]: found {bad[0]!r}, expected numbers, strings or booleans")
    return out


def _as_range(path: str, bounds: Any, design: str) -> list[float]:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"vary[{path!r}]: found {bounds!r}, expected a range (lo, hi) "
                         f"of numbers for design {design!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"vary[{path!r}]: found range ({lo:g}, {hi:g}), expected finite lo < hi")
    return [lo, hi]


def normalise_vary(vary: Mapping[str, Any], design: str) -> dict[str, list]:
    """Check ``vary`` against ``design`` and return it as plain JSON-able lists.

    Raises
    ------
    ValueError
        On an unknown design, an empty ``vary``, or values of the wrong shape for the design.
    """
    if design not in DESIGNS:
        raise ValueError(f"found design {design!r}, expected one of {', '.join(DESIGNS)}")
    if not vary:
        raise ValueError("found nothing to vary, expected at least one dotted path")
    if design == "grid":
        return {str(k): _as_grid_values(k, v) for k, v in vary.items()}
    return {str(k): _as_range(k, v, design) for k, v in vary.items()}


def salib_problem(vary: Mapping[str, list]) -> dict:
    """SALib's problem dictionary for ``(lo, hi)`` ranges."""
    return {"num_vars": len(vary), "names": list(vary), "bounds": [list(b) for b in vary.values()]}


def _check_samples(design: str, samples: int | None) -> int:
    if samples is None or isinstance(samples, bool) or not isinstance(samples, numbers.Integral) or samples < 1:
        raise ValueError(f"design {design!r}: found samples={samples!r}, expected a positive integer")
    if design in ("sobol", "saltelli") and samples & (samples - 1):
        lower = 1 << (int(samples).bit_length() - 1)
        raise ValueError(f"design {design!r}: found samples={samples}, expected a power of 2 "
                         f"(Sobol' sequences lose their balance otherwise); try {lower} or {2 * lower}")
    return int(samples)


def _unit_sample(design: str, d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    if design == "lhs":
        return qmc.LatinHypercube(d, seed=rng).random(n)
    if design == "sobol":
        return qmc.Sobol(d, scramble=True, seed=rng).random(n)
    return rng.random((n, d))


def design_points(vary: Mapping[str, Any], *, design: str = "grid", samples: int | None = None,
                  seed: int | np.random.SeedSequence = 0) -> pd.DataFrame:
    """The points a sweep visits, one row each, one column per varied path.

    Parameters
    ----------
    vary : mapping
        Dotted path -> list of values (``grid``) or ``(lo, hi)`` (other designs).
    design : {"grid", "lhs", "sobol", "random", "saltelli"}
        ``grid`` is the Cartesian product (``samples`` ignored). ``lhs``, ``sobol`` and ``random``
        draw ``samples`` points; ``sobol`` needs a power of 2. ``saltelli`` is
        ``SALib.sample.sobol.sample(problem, samples, calc_second_order=False)``: ``samples * (d + 2)``
        points in the order SALib's analysis expects.
    seed : int or SeedSequence
        Seeds the design's own randomness (not the worlds').

    Returns
    -------
    pandas.DataFrame
    """
    import numpy as np
    import pandas as pd
    from scipy.stats import qmc

    vary = normalise_vary(vary, design)
    names = list(vary)
    if design == "grid":
        return pd.DataFrame(list(itertools.product(*vary.values())), columns=names)
    n = _check_samples(design, samples)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    if design == "saltelli":
        from SALib.sample import sobol as salib_sobol
        salib_seed = int(ss.generate_state(1)[0])
        x = salib_sobol.sample(salib_problem(vary), n, calc_second_order=False, seed=salib_seed)
        return pd.DataFrame(x, columns=names)
    bounds = np.array(list(vary.values()))
    unit = _unit_sample(design, len(names), n, np.random.default_rng(ss))
    return pd.DataFrame(qmc.scale(unit, bounds[:, 0], bounds[:, 1]), columns=names)
