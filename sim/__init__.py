"""zopa's model: scenario -> Mesa model -> results.

Layers, each a sub-package or module that only reads the ones before it:
:mod:`.scenario` (YAML to a validated Scenario), :mod:`.engine` (exact ZOPA, protocols, terms),
:mod:`.model` (the Mesa model and its agents), :mod:`.simulate` and :mod:`.results` (tidy tables),
:mod:`.why` (why a zone is closed, and the smallest concessions that would open it).

Names and sub-modules are imported on first use (PEP 562): reading a scenario does not load Mesa or pandas.
"""

import sys
import types

from .lazy import lazy_names

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


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)


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
