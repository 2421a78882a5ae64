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
"""

from .sim import (NegotiationModel, Problem, Results, Scenario, ScenarioError, ScenarioWarning, __version__,
                  actor_colors, load_scenario, simulate)
from .analysis import Sweep, plots, sweep

__all__ = [
    "load_scenario", "simulate", "sweep", "plots", "Results", "Sweep", "Scenario", "NegotiationModel",
    "ScenarioError", "ScenarioWarning", "Problem", "actor_colors", "__version__",
]
