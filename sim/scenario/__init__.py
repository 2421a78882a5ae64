"""The scenario reader: YAML in, a validated, immutable :class:`Scenario` out.

The only layer that sees YAML. Every check runs in :func:`load_scenario`, before any agent exists.
Names are imported on first use (PEP 562), so ``zopa --help`` does not build the pydantic schema.
"""

from ..lazy import lazy_names

_HOMES = {
    "Problem": ".errors", "ScenarioError": ".errors", "SETTABLE": ".load", "ScenarioWarning": ".load",
    "apply_overrides": ".load", "load_scenario": ".load", "load_scenario_text": ".load",
    "scenario_text": ".load", "Scenario": ".schema",
}

__all__ = ["load_scenario", "load_scenario_text", "scenario_text", "apply_overrides", "Scenario", "ScenarioError",
           "ScenarioWarning", "Problem", "SETTABLE"]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)
