"""What users do with zopa's results: parameter sweeps, outcome statistics, sensitivity,
scenario discovery, figures.

Reads only ``sim``'s public API; ``sim`` never imports this package. Names and sub-modules are imported
on first use (PEP 562): the ``zopa`` command registers its sub-commands without loading the EMA Workbench,
SALib or pandas.
"""

import importlib

_HOMES = {
    "design_points": ".design", "Discovery": ".discovery", "discover": ".discovery", "wilson": ".stats",
    "Sweep": ".sweeps", "sweep": ".sweeps", "sobol_indices": ".sensitivity",
}

__all__ = ["sweep", "Sweep", "design_points", "sobol_indices", "wilson", "discover", "Discovery"]


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name], __name__), name)
        globals()[name] = value
        return value
    try:   # ``analysis.plots`` and the like without an explicit import, as before the names were lazy
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
