"""The scenario reader: YAML in, a validated, immutable :class:`Scenario` out.

The only layer that sees YAML. Every check runs in :func:`load_scenario`, before any agent exists.
Names are imported on first use (PEP 562), so ``zopa --help`` does not build the pydantic schema.
"""

import importlib

_HOMES = {
    "Problem": ".errors", "ScenarioError": ".errors", "SETTABLE": ".load", "ScenarioWarning": ".load",
    "apply_overrides": ".load", "load_scenario": ".load", "load_scenario_text": ".load",
    "scenario_text": ".load", "Scenario": ".schema",
}

__all__ = ["load_scenario", "load_scenario_text", "scenario_text", "apply_overrides", "Scenario", "ScenarioError",
           "ScenarioWarning", "Problem", "SETTABLE"]


def __getattr__(name: str):
    if name not in _HOMES:   # a sub-module (``scenario.schema``) without an explicit import
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
