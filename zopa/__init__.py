"""zopa: a conflict-negotiation position simulator.

The public face. ``import zopa`` gives everything a user script or notebook needs::

    import zopa
    scenario = zopa.load_scenario("scenarios/december-2022.yaml")
    results = zopa.simulate(scenario, runs=1000, seed=1)
    zopa.plots.survival(results)
    sweep = zopa.sweep(scenario, {"actors.russia.erosion": [0.0, 0.02]}, runs=500)

The model lives in :mod:`zopa.sim` (source folder ``sim/``) and what users do with results in
:mod:`zopa.analysis` (``analysis/``). Both are reached only through this package, so a user's own
``sim.py`` or ``analysis.py`` beside their work cannot shadow them.

Every name is imported on first use (PEP 562), so ``import zopa`` and the ``zopa`` command start at
once: Mesa, pandas, matplotlib and the EMA Workbench are loaded only by the code that needs them.
"""

import importlib

from .sim import __version__

_HOMES = {
    "load_scenario": ".sim", "simulate": ".sim", "Results": ".sim", "Scenario": ".sim",
    "NegotiationModel": ".sim", "ScenarioError": ".sim", "ScenarioWarning": ".sim", "Problem": ".sim",
    "actor_colors": ".sim", "sweep": ".analysis", "Sweep": ".analysis",
}

__all__ = [
    "load_scenario", "simulate", "sweep", "plots", "Results", "Sweep", "Scenario", "NegotiationModel",
    "ScenarioError", "ScenarioWarning", "Problem", "actor_colors", "__version__",
]


def __getattr__(name: str):
    if name == "plots":
        value = importlib.import_module(".analysis.plots", __name__)
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value   # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
