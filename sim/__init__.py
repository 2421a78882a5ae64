"""zopa's model: scenario -> Mesa model -> results.

Layers, each a sub-package or module that only reads the ones before it:
:mod:`.scenario` (YAML to a validated Scenario), :mod:`.engine` (exact ZOPA, protocols, terms),
:mod:`.model` (the Mesa model and its agents), :mod:`.simulate` and :mod:`.results` (tidy tables),
:mod:`.why` (why a zone is closed, and the smallest concessions that would open it).
"""

from .model import NegotiationModel
from .record import seed_sequence
from .results import Results
from .scenario import Problem, Scenario, ScenarioError, ScenarioWarning, load_scenario
from .simulate import actor_colors, simulate
from .why import Why, why

__version__ = "0.1.0"

__all__ = [
    "load_scenario", "simulate", "NegotiationModel", "Results", "Scenario", "ScenarioError",
    "ScenarioWarning", "Problem", "actor_colors", "seed_sequence", "why", "Why", "__version__",
]
