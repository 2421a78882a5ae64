"""Load and validate a scenario: every check runs here, before any agent exists."""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
import types
import typing
import warnings
from pathlib import Path
from typing import Any, Mapping

import pydantic
from pydantic import BaseModel

from .errors import Problem, ScenarioError
from .params import Param
from .schema import Actor, RedLine, Scenario, WarReservation
from .yamlsource import LineMap, read_yaml

__all__ = ["load_scenario", "ScenarioWarning", "apply_overrides", "SETTABLE"]

_INTERNAL = ("file", "digest")
# Event/override paths that may change during a run (``events[].set``); * is any actor or issue.
SETTABLE = (
    "actors.*.reservation", "actors.*.reservation.war.cost", "actors.*.erosion",
    "actors.*.red_lines.*.min", "actors.*.red_lines.*.max", "actors.*.red_lines.*.allowed",
    "battlefield.p_a",
)


# Sections an override may create on the fly (everything else must already be in the file).
_NEW_SECTIONS_OK: tuple = ()


class ScenarioWarning(UserWarning):
    """Legal but suspicious input, e.g. red lines that exclude every outcome."""


def _split(path: str) -> list[str]:
    return [p for p in path.split(".") if p]


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


def _line(lines: LineMap, loc: tuple) -> int | None:
    for i in range(len(loc), -1, -1):
        if tuple(loc[:i]) in lines:
            return lines[tuple(loc[:i])]
    return None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class that the object at ``loc`` is validated against."""
    tp: Any = Scenario
    for key in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if key not in tp.model_fields:
                return None
            tp = tp.model_fields[key].annotation
        elif typing.get_origin(tp) in (dict, tuple, list):
            args = typing.get_args(tp)
            tp = args[-1] if args else Any
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """The model (or plain type) behind Annotated[...] and unions of a model with other types."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [_unwrap(a) for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
            return models[0] if models else (members[0] if len(members) == 1 else Any)
        else:
            return tp


def _did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _expected(msg: str) -> str:
    """Pydantic's 'Input should be a valid integer' -> 'a valid integer' (no class names)."""
    msg = re.sub(r" or instance of \w+", "", msg)
    msg = msg.removeprefix("Input should be ").removeprefix("input should be ").replace("valid tuple", "list")
    return msg[0].lower() + msg[1:] if msg else "a different value"


def _data_loc(data: Any, loc: tuple) -> tuple:
    """Keep only the parts of a pydantic location that are keys or indices in the data.

    Pydantic adds names of union members and validators to locations; users never wrote those.
    """
    out: list = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict) and i == len(loc) - 1 and isinstance(part, str) \
                and not part.startswith(("[", "function-")):
            pass  # a missing key: still part of the path the user should add
        elif isinstance(node, (list, tuple)) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue
        out.append(part)
    return tuple(out)


def _describe(err: dict, data: Any = None) -> tuple[tuple, str]:
    loc = _data_loc(data, tuple(err["loc"])) if data is not None else tuple(
        x for x in err["loc"] if not (isinstance(x, str) and (x.startswith("[") or x.startswith("function-"))))
    found = err.get("input")
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1]) if loc else None
        options = [f for f in model.model_fields if f not in _INTERNAL] if model else []
        return loc, (f"found unknown key {loc[-1] if loc else found!r}, expected one of {', '.join(options)}"
                     f"{_did_you_mean(loc[-1], options)}")
    if kind == "missing":
        return loc, "found nothing, expected this required key"
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if msg.startswith("found "):
        return loc, msg
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",")]
        return loc, f"found {_show(found)}, expected {expected}{_did_you_mean(found, options)}"
    return loc, f"found {_show(found)}, expected {_expected(msg)}"


def _pydantic_problems(exc: pydantic.ValidationError, file: str, lines: LineMap, data: Any) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc, message = _describe(err, data)
        problems.append(Problem(file, _line(lines, loc), ".".join(map(str, loc)), message))
    return problems


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
    file = str(path)
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(file, 1, "", f"found {type(data).__name__}, expected a mapping of keys")])
    problems = [Problem(file, lines.get((k,)), k, "found a reserved key, expected scenario keys only")
                for k in _INTERNAL if k in data]
    if overrides:
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
        raise ScenarioError(_blame_overrides(_pydantic_problems(exc, file, lines, data), overrides)) from None
    problems = [Problem(file, _line(lines, loc), ".".join(map(str, loc)), msg)
                for loc, msg in cross_check(scenario)]
    if problems:
        raise ScenarioError(_blame_overrides(problems, overrides))
    for actor, message in _suspicious(scenario):
        warnings.warn(f"{file}: actors.{actor}: {message}", ScenarioWarning, stacklevel=2)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return scenario.model_copy(update={"file": file, "digest": digest})


def _blame_overrides(problems: list[Problem], overrides: Mapping[str, Any] | None) -> list[Problem]:
    """Problems in a value set by ``--set`` are reported against ``--set``, not a line of the file."""
    paths = [".".join(_split(k)) for k in overrides or ()]
    return [Problem("--set", None, p.path, p.message)
            if any(p.path == o or p.path.startswith(o + ".") for o in paths) else p for p in problems]


# ---------------------------------------------------------------------------- cross-field checks

def _in(name: str, options: Mapping | tuple, what: str) -> str | None:
    if name in options:
        return None
    return f"found {what} {name!r}, expected one of {', '.join(options)}{_did_you_mean(name, options)}"


def _check_range_value(value: Any, lo: float, hi: float) -> str | None:
    if isinstance(value, str):
        return f"found level name {value!r}, expected a number in [{lo:g}, {hi:g}]"
    vlo, vhi = value.bounds()
    if vlo < lo - 1e-12 or vhi > hi + 1e-12:
        return f"found {value.describe()}, expected values within the issue's range [{lo:g}, {hi:g}]"
    return None


def _check_red_line(s: Scenario, issue_id: str, rl: RedLine) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    issue = s.issues[issue_id]
    if issue.is_levels:
        if rl.allowed is not None:
            out += [(("allowed",), m) for lvl in rl.allowed if (m := _in(lvl, issue.levels, "level"))]
        for key in ("min", "max"):
            v = getattr(rl, key)
            if v is not None and (not isinstance(v, str) or v not in issue.levels):
                out.append(((key,), f"found {v if isinstance(v, str) else v.describe()!r}, "
                                    f"expected a level of {issue_id}: {', '.join(issue.levels)}"))
        if not out and rl.min is not None and rl.max is not None:
            if issue.levels.index(rl.min) > issue.levels.index(rl.max):
                out.append(((), f"found min {rl.min!r} after max {rl.max!r}, expected min <= max in level order"))
        return out
    lo, hi = issue.range
    if rl.allowed is not None:
        out.append((("allowed",), f"found allowed on range issue {issue_id!r}, expected min and/or max"))
    for key in ("min", "max"):
        v = getattr(rl, key)
        if v is not None and (m := _check_range_value(v, lo, hi)):
            out.append(((key,), m))
    if not out and rl.min is not None and rl.max is not None:
        if rl.min.bounds()[0] > rl.max.bounds()[1] + 1e-12:
            out.append(((), f"found min {rl.min.describe()} > max {rl.max.describe()}, expected min <= max"))
    return out


def _check_actor(s: Scenario, actor_id: str, a: Actor) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    for issue_id, w in a.weights.items():
        if m := _in(issue_id, s.issues, "issue"):
            out.append((("weights", issue_id), m))
        elif w.bounds()[0] < 0:
            out.append((("weights", issue_id), f"found {w.describe()}, expected a weight >= 0"))
    if not out and not any(w.bounds()[1] > 0 for w in a.weights.values()):
        out.append((("weights",), "found all weights zero, expected at least one positive weight"))
    for issue_id, value in a.ideal.items():
        if m := _in(issue_id, s.issues, "issue"):
            out.append((("ideal", issue_id), m))
            continue
        issue = s.issues[issue_id]
        if issue.is_levels:
            if not isinstance(value, str) or value not in issue.levels:
                out.append((("ideal", issue_id), f"found {value if isinstance(value, str) else value.describe()!r}, "
                                                 f"expected a level of {issue_id}: {', '.join(issue.levels)}"))
        elif m := _check_range_value(value, *issue.range):
            out.append((("ideal", issue_id), m))
    for issue_id in a.weights:
        if issue_id in s.issues and issue_id not in a.ideal:
            out.append((("ideal",), f"found no ideal for weighted issue {issue_id!r}, expected ideal.{issue_id}"))
    for issue_id, table in a.values.items():
        if m := _in(issue_id, s.issues, "issue"):
            out.append((("values", issue_id), m))
        elif not s.issues[issue_id].is_levels:
            out.append((("values", issue_id), "found values for a range issue, expected them on levels issues only"))
        else:
            levels = s.issues[issue_id].levels
            if set(table) != set(levels):
                out.append((("values", issue_id), f"found levels {sorted(table)}, expected exactly {list(levels)}"))
            out += [(("values", issue_id, k), f"found {v}, expected a value in [0, 1]")
                    for k, v in table.items() if not 0 <= v <= 1]
    for where, red_lines in [(("red_lines",), a.red_lines)] + [
            (("shifts", i, "red_lines"), sh.red_lines) for i, sh in enumerate(a.shifts)]:
        for issue_id, rl in red_lines.items():
            if m := _in(issue_id, s.issues, "issue"):
                out.append((where + (issue_id,), m))
            else:
                out += [(where + (issue_id,) + loc, m) for loc, m in _check_red_line(s, issue_id, rl)]
    d = a.discount.bounds()
    if not (0 < d[0] and d[1] < 1):
        out.append((("discount",), f"found {a.discount.describe()}, expected a factor strictly between 0 and 1"))
    if a.war is not None:
        p = a.war.win_probability
        if isinstance(p, Param) and not (0 <= p.bounds()[0] and p.bounds()[1] <= 1):
            out.append((("reservation", "war", "win_probability"), f"found {p.describe()}, expected a probability in [0, 1]"))
        if not isinstance(p, Param):
            sides = (s.battlefield.side_a + s.battlefield.side_b) if s.battlefield else ()
            if actor_id not in sides:
                out.append((("reservation", "war", "win_probability"),
                            "found a belief {prior: ...}, expected the actor on a battlefield side to learn from"))
    return out


def _check_battlefield(s: Scenario) -> list[tuple[tuple, str]]:
    b = s.battlefield
    out: list[tuple[tuple, str]] = []
    if b is None:
        return out
    for side in ("side_a", "side_b"):
        out += [(("battlefield", side, i), m) for i, a in enumerate(getattr(b, side)) if (m := _in(a, s.actors, "actor"))]
    if both := set(b.side_a) & set(b.side_b):
        out.append((("battlefield",), f"found {sorted(both)} on both sides, expected each actor on one side"))
    if not (0 <= b.p_a.bounds()[0] and b.p_a.bounds()[1] <= 1):
        out.append((("battlefield", "p_a"), f"found {b.p_a.describe()}, expected a probability in [0, 1]"))
    return out


def _matches(pattern: str, parts: list[str]) -> bool:
    pat = pattern.split(".")
    return len(pat) == len(parts) and all(p == "*" or p == q for p, q in zip(pat, parts))


def _check_events(s: Scenario) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    for i, ev in enumerate(s.events):
        for key, value in ev.set.items():
            parts = _split(key)
            loc = ("events", i, "set", key)
            if not any(_matches(p, parts) for p in SETTABLE):
                out.append((loc, f"found {key!r}, expected one of {', '.join(SETTABLE)}"))
                continue
            if parts[0] == "actors" and (m := _in(parts[1], s.actors, "actor")):
                out.append((loc, m))
                continue
            if parts[0] == "battlefield" and s.battlefield is None:
                out.append((loc, "found a battlefield parameter, expected a battlefield section"))
                continue
            if len(parts) == 5 and (m := _in(parts[3], s.issues, "issue")):
                out.append((loc, m))
                continue
            try:
                if len(parts) == 5:
                    rl = RedLine.model_validate({parts[4]: value})
                    out += [(loc, m) for _, m in _check_red_line(s, parts[3], rl)]
                else:
                    from .params import parse_param
                    parse_param(value)
            except pydantic.ValidationError as exc:
                out += [(loc, _describe(err)[1]) for err in exc.errors(include_url=False)]
            except ValueError as exc:
                out.append((loc, str(exc)))
    return out


def _evidence_refs(obj: Any, loc: tuple) -> list[tuple[tuple, str]]:
    """Every (location, source id) that an evidence entry points to."""
    found: list[tuple[tuple, str]] = []
    if isinstance(obj, BaseModel):
        ev = getattr(obj, "evidence", None)
        if ev is not None and ev.source:
            found.append((loc + ("evidence", "source"), ev.source))
        for name in type(obj).model_fields:
            if name != "evidence":
                found += _evidence_refs(getattr(obj, name), loc + (name,))
    elif isinstance(obj, Param) and obj.evidence is not None and obj.evidence.source:
        found.append((loc + ("evidence", "source"), obj.evidence.source))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            found += _evidence_refs(v, loc + (k,))
    elif isinstance(obj, tuple):
        for i, v in enumerate(obj):
            found += _evidence_refs(v, loc + (i,))
    return found


def cross_check(s: Scenario) -> list[tuple[tuple, str]]:
    """All problems that involve more than one field, as (key path, message)."""
    out: list[tuple[tuple, str]] = []
    for actor_id, actor in s.actors.items():
        out += [(("actors", actor_id) + loc, m) for loc, m in _check_actor(s, actor_id, actor)]
    out += _check_battlefield(s)
    out += _check_events(s)
    out += [(loc, m) for loc, src in _evidence_refs(s, ()) if (m := _in(src, s.sources, "source"))]
    return out


def _suspicious(s: Scenario) -> list[tuple[str, str]]:
    """Actors whose point-value red lines leave no outcome at all."""
    found = []
    for actor_id, a in s.actors.items():
        for issue_id, rl in a.red_lines.items():
            issue = s.issues[issue_id]
            if issue.is_levels and rl.allowed is not None and not rl.allowed:
                found.append((actor_id, f"red_lines.{issue_id} allows no level: no deal is possible"))
        if isinstance(a.reservation, Param) and a.reservation.bounds()[0] > 1:
            found.append((actor_id, "reservation above 1 (the best possible utility): no deal is possible"))
    return found
