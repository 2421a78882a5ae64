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
    "actor_colors": ".simulate", "simulate": ".simulate", "Why": ".why", "why": ".why",
}

__all__ = [
    "load_scenario", "simulate", "NegotiationModel", "Results", "Scenario", "ScenarioError",
    "ScenarioWarning", "Problem", "actor_colors", "seed_sequence", "why", "Why", "__version__",
]


def __getattr__(name: str):
    if name in _HOMES:
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


_SHADOWED = ("simulate", "why")   # functions named as the modules that hold them


class _Package(types.ModuleType):
    """Keeps ``sim.simulate`` and ``sim.why`` the functions: importing their modules (``zopa.sim.simulate``)
    would otherwise bind the package attribute to the module, as eager ``from .simulate import simulate``
    lines once prevented by running last."""

    def __setattr__(self, name, value):
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
