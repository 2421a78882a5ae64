"""The scenario reader: YAML in, a validated, immutable :class:`Scenario` out.

The only layer that sees YAML. Every check runs in :func:`load_scenario`, before any agent exists.
"""

from .errors import Problem, ScenarioError
from .load import SETTABLE, ScenarioWarning, apply_overrides, load_scenario, load_scenario_text, scenario_text
from .schema import Scenario

__all__ = ["load_scenario", "load_scenario_text", "scenario_text", "apply_overrides", "Scenario", "ScenarioError",
           "ScenarioWarning", "Problem", "SETTABLE"]
