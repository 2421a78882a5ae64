"""zopa's model: scenario -> Mesa model -> results.

Layers, each a sub-package or module that only reads the ones before it:
:mod:`.scenario` (YAML to a validated Scenario), :mod:`.engine` (exact ZOPA, protocols, terms),
:mod:`.model` (the Mesa model and its agents), :mod:`.simulate` and :mod:`.results` (tidy tables),
:mod:`.why` (why a zone is closed, and the smallest concessions that would open it).

Names and sub-modules are imported on first use (PEP 562): reading a scenario does not load Mesa or pandas.
"""

import importlib
import sys
import types

__version__ = "0.1.0"

_HOMES = {
    "NegotiationModel": ".model", "seed_sequence": ".record", "Results": ".results",
    "Problem": ".scenario", "Scenario": ".scenario", "ScenarioError": ".scenario",
    "ScenarioWarning": ".scenario", "load_scenario": ".scenario",
    "actor_colors": ".simulate", "simulate": ".simulate", "Why": ".why",
}

__all__ = [
    "load_scenario", "simulate", "NegotiationModel", "Results", "Scenario", "ScenarioError",
    "ScenarioWarning", "Problem", "actor_colors", "seed_sequence", "why", "Why", "__version__",
]


def __getattr__(name: str):
    if name == "why":   # the function, which shares its name with its module
        value = importlib.import_module(".why", __name__).why
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    else:
        return _submodule(name)
    globals()[name] = value
    return value


def _submodule(name: str):
    """``sim.engine`` and the like without an explicit import, as before the names were lazy."""
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``sim.why`` the function: importing the module ``sim/why.py`` (as ``simulate`` does) would
    otherwise bind the package attribute ``why`` to the module, as an eager ``from .why import why`` once
    prevented by running last."""

    def __setattr__(self, name, value):
        if name == "why" and isinstance(value, types.ModuleType):
            value = value.why
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
