"""Load and validate a scenario: every check runs here, before any agent exists."""

from __future__ import annotations

import copy
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any, Mapping

import pydantic

from .checks import SETTABLE, cross_check, suspicious
from .errors import Problem, ScenarioError, did_you_mean as _did_you_mean
from .messages import INTERNAL as _INTERNAL, line_of, model_at as _model_at, pydantic_problems
from .schema import Scenario
from .yamlsource import dump_yaml, parse_yaml, read_yaml

__all__ = ["load_scenario", "load_scenario_text", "scenario_text", "ScenarioWarning", "apply_overrides", "SETTABLE"]



# Sections an override may create on the fly (everything else must already be in the file).
_NEW_SECTIONS_OK: tuple = ()


class ScenarioWarning(UserWarning):
    """Legal but suspicious input, e.g. red lines that exclude every outcome."""


def _split(path: str) -> list[str]:
    keys = [p for p in path.split(".") if p]
    # an event's settings are keyed by whole dotted paths: events.<i>.set.<path> sets the key <path>
    if len(keys) > 4 and keys[0] == "events" and keys[2] == "set":
        keys = keys[:3] + [".".join(keys[3:])]
    return keys


def apply_overrides(data: Any, overrides: Mapping[str, Any]) -> list[Problem]:
    """Set dotted paths in raw scenario data, in place; return problems for paths that cannot exist.

    A path may add a key the file leaves out (``actors.x.erosion``, ``actors.x.red_lines.i.min``) but
    never a new actor, issue or source, nor a section the schema does not have.
    """
    problems = []
    for path, value in overrides.items():
        keys = _split(path)
        message = _override_problem(data, keys)
        if message:
            problems.append(Problem("--set", None, path, message))
            continue
        node = data
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if isinstance(node, list):
            node[int(keys[-1])] = value
        else:
            node[keys[-1]] = value
    return problems


def _override_problem(data: Any, keys: list[str]) -> str | None:
    if not keys:
        return "found an empty path, expected a dotted path such as actors.x.erosion"
    node: Any = data
    for depth, key in enumerate(keys):
        here = tuple(keys[:depth])
        model = _model_at(here)
        if isinstance(node, list):
            if not (key.isdigit() and int(key) < len(node)):
                return f"found no item {key!r} in {'.'.join(here)}, expected 0 to {len(node) - 1}"
            node = node[int(key)]
            continue
        if not isinstance(node, dict):
            return f"found a value at {'.'.join(here)}, expected a mapping to set {key!r} in"
        if key in node:
            node = node[key]
            continue
        if model is not None and key not in model.model_fields or key in _INTERNAL:
            options = [f for f in model.model_fields if f not in _INTERNAL] if model else []
            return f"found no key {key!r}, expected one of {', '.join(options)}{_did_you_mean(key, options)}"
        if model is None and here in (("actors",), ("issues",), ("sources",)):
            return (f"found no {here[0][:-1]} {key!r}, expected one of {', '.join(map(str, node))}"
                    f"{_did_you_mean(key, node)}")
        if depth < len(keys) - 1 and model is not None and _model_at(here + (key,)) is not None \
                and here + (key,) not in _NEW_SECTIONS_OK:
            return f"found no {key} section in the scenario, expected one to set {'.'.join(keys)}"
        node = {}
    return None


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, validate and return an immutable :class:`~sim.schema.Scenario`.

    Parameters
    ----------
    path : str or Path
        A YAML scenario file.
    overrides : mapping, optional
        Dotted paths to values, e.g. ``{"actors.russia.erosion": 0.02}``, applied before validation.

    Raises
    ------
    ScenarioError
        Listing every problem at once, each as ``file:line: dotted.path: found ..., expected ...``.
    """
    data, lines = read_yaml(path)
    return _validated(str(path), data, lines, overrides)


def load_scenario_text(text: str, overrides: Mapping[str, Any] | None = None, *, file: str = "<text>") -> Scenario:
    """:func:`load_scenario` for YAML text, such as the copy :func:`scenario_text` saves with results.

    ``file`` names the text in messages and becomes the scenario's ``file``.
    """
    data, lines = parse_yaml(text, file)
    return _validated(file, data, lines, overrides)


def scenario_text(scenario: Scenario) -> str:
    """The data ``scenario`` was validated from, overrides applied, as YAML text that
    :func:`load_scenario_text` turns back into an equal scenario (same digest)."""
    return dump_yaml(scenario.data)


def _validated(file: str, data: Any, lines: dict, overrides: Mapping[str, Any] | None) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError([Problem(file, 1, "", f"found {type(data).__name__}, expected a mapping of keys")])
    problems = [Problem(file, lines.get((k,)), k, "found a reserved key, expected scenario keys only")
                for k in _INTERNAL if k in data]
    if overrides:
        overrides = {k: _python(v) for k, v in overrides.items()}
        data = copy.deepcopy(data)
        problems += apply_overrides(data, overrides)
        overridden = [tuple(_split(k)) for k in overrides]
        lines = {loc: line for loc, line in lines.items()
                 if not any(loc[:len(o)] == o for o in overridden)}
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ScenarioError(_blame_overrides(pydantic_problems(exc, file, lines, data), overrides)) from None
    problems = [Problem(file, line_of(lines, loc), ".".join(map(str, loc)), msg)
                for loc, msg in cross_check(scenario)]
    if problems:
        raise ScenarioError(_blame_overrides(problems, overrides))
    for actor, message in suspicious(scenario):
        warnings.warn(f"{file}: actors.{actor}: {message}", ScenarioWarning, stacklevel=2)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    scenario = scenario.model_copy(update={"file": file, "digest": digest})
    scenario._data, scenario._overrides = data, dict(overrides or {})
    return scenario


def _python(value: Any) -> Any:
    """A numpy scalar (a sweep's value, a table's cell) as the Python number YAML would give."""
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value


def _blame_overrides(problems: list[Problem], overrides: Mapping[str, Any] | None) -> list[Problem]:
    """Problems in a value set by ``--set`` are reported against ``--set``, not a line of the file."""
    paths = [".".join(_split(k)) for k in overrides or ()]
    return [Problem("--set", None, p.path, p.message)
            if any(p.path == o or p.path.startswith(o + ".") or o.startswith(p.path + ".") for o in paths)
            else p for p in problems]


