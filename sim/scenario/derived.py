"""Scenarios derived from a scenario file by replacing parameters (e.g. a calibrated posterior).

The file is read with the project's reader, the values are set at the sampled parameter paths the
results report (``actors.russia.erosion``, ``events.0.set.battlefield.p_a``), and the new file is
validated by :func:`load_scenario` before it is kept.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..io import write_atomic
from .errors import Problem, ScenarioError
from .load import load_scenario
from .yamlsource import read_yaml

__all__ = ["write_derived", "set_sampled"]


def set_sampled(data: Any, path: str, value: Any) -> None:
    """Set ``value`` at a sampled parameter's dotted path in raw scenario data, in place.

    A mapping key may itself contain dots (an event's ``set: {battlefield.p_a: ...}``): the longest
    key that matches the rest of the path wins.
    """
    parts = path.split(".")
    node = data
    while parts:
        if isinstance(node, list):
            index, parts = int(parts[0]), parts[1:]
            if not parts:
                node[index] = value
                return
            node = node[index]
            continue
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            if key in node:
                break
        else:
            raise ScenarioError([Problem("<derived>", None, path, "found no such parameter in the scenario, "
                                         "expected a sampled parameter path")])
        if n == len(parts):
            node[key] = value
            return
        node, parts = node[key], parts[n:]


def write_derived(source: str | Path, values: Mapping[str, Any], out: str | Path, *, name: str,
                  note: str) -> Path:
    """Write ``source`` with ``values`` set at their paths, renamed ``name`` and described by ``note``.

    Raises :class:`ScenarioError` (and keeps nothing) if the derived scenario does not validate.
    """
    data, _ = read_yaml(source)
    data = copy.deepcopy(data)
    for path, value in values.items():
        set_sampled(data, path, value)
    data["name"] = name
    data["description"] = (str(data.get("description") or "").rstrip() + "\n\n" + note).strip()
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)
    out = Path(out)
    write_atomic(out, text)
    try:
        load_scenario(out)
    except ScenarioError:
        out.unlink()
        raise
    return out
