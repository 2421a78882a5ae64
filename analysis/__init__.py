"""What users do with zopa's results: parameter sweeps, outcome statistics, sensitivity,
scenario discovery, figures.

Reads only ``sim``'s public API; ``sim`` never imports this package. Names and sub-modules are imported
on first use (PEP 562): the ``zopa`` command registers its sub-commands without loading the EMA Workbench,
SALib or pandas.
"""

from ..sim.lazy import lazy_names

_HOMES = {
    "design_points": ".design", "Discovery": ".discovery", "discover": ".discovery", "wilson": ".stats",
    "Sweep": ".sweeps", "sweep": ".sweeps", "sobol_indices": ".sensitivity",
}

__all__ = ["sweep", "Sweep", "design_points", "sobol_indices", "wilson", "discover", "Discovery"]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)
