"""Names of a package imported on first use (PEP 562), so that the ``zopa`` command and ``import zopa``
start at once: Mesa, pandas, pyarrow and the EMA Workbench load only with the code that needs them."""

from __future__ import annotations

import importlib
import sys
from typing import Callable

__all__ = ["lazy_names"]


def lazy_names(package: str, homes: dict[str, str], names: list[str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package``.

    A name in ``homes`` comes from its module (relative to the package) and is then kept in the package;
    any other name is tried as a sub-module, as ``import package.name`` would give it (``sim.engine``
    without an explicit import).
    """
    space = sys.modules[package].__dict__

    def __getattr__(name: str):
        if name in homes:
            value = getattr(importlib.import_module(homes[name], package), name)
            space[name] = value   # looked up once
            return value
        try:
            return importlib.import_module(f".{name}", package)
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None

    def __dir__() -> list[str]:
        return sorted(set(space) | set(names))

    return __getattr__, __dir__
