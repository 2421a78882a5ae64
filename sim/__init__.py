"""zopa's model: scenario -> Mesa model -> results."""

from .errors import Problem, ScenarioError
from .model import NegotiationModel
from .results import Results
from .scenario import ScenarioWarning, load_scenario
from .schema import Scenario
from .simulate import actor_colors, simulate

__version__ = "0.1.0"

__all__ = [
    "load_scenario", "simulate", "NegotiationModel", "Results", "Scenario", "ScenarioError",
    "ScenarioWarning", "Problem", "actor_colors", "__version__",
]
