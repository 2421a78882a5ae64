"""zopa's model: scenario -> Mesa model -> results."""

from .errors import Problem, ScenarioError
from .scenario import ScenarioWarning, load_scenario
from .schema import Scenario

__version__ = "0.1.0"

__all__ = ["load_scenario", "Scenario", "ScenarioError", "ScenarioWarning", "Problem", "__version__"]
