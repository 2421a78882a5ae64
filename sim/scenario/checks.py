"""Cross-field checks of a scenario: references between fields, run after the schema's own checks."""

from __future__ import annotations

from typing import Any, Mapping

import pydantic
from pydantic import BaseModel

from ..events import SETTABLE
from .errors import did_you_mean as _did_you_mean
from .messages import describe
from .params import Param, parse_param
from .schema import Actor, LineRelative, RedLine, Scenario
from .dynamics_checks import dynamics_problems

__all__ = ["SETTABLE", "cross_check", "suspicious"]

def _split(path: str) -> list[str]:
    return [p for p in path.split(".") if p]


def _in(name: str, options: Mapping | tuple, what: str) -> str | None:
    if name in options:
        return None
    return f"found {what} {name!r}, expected one of {', '.join(options)}{_did_you_mean(name, options)}"


def _check_range_value(value: Any, lo: float, hi: float) -> str | None:
    if isinstance(value, LineRelative):
        return None                      # checked against the front (sim.scenario.dynamics_checks)
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
    if not out and isinstance(rl.min, Param) and isinstance(rl.max, Param):
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


def _check_event_value(s: Scenario, parts: list[str], value: Any) -> list[str]:
    """Problems with the value an event sets (the path itself is known to be settable)."""
    if parts[2:3] == ["red_lines"]:
        issue = s.issues[parts[3]]
        if issue.is_levels and parts[4] != "allowed":
            return [f"found {parts[4]} on levels issue {parts[3]!r}, expected allowed: [...] in an event"]
        rl = RedLine.model_validate({parts[4]: value})
        return [m for _, m in _check_red_line(s, parts[3], rl)]
    p = parse_param(value)
    if parts[0] == "battlefield" and not (0 <= p.bounds()[0] and p.bounds()[1] <= 1):
        return [f"found {p.describe()}, expected a probability in [0, 1]"]
    return []


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
            if parts[2:3] == ["red_lines"] and (m := _in(parts[3], s.issues, "issue")):
                out.append((loc, m))
                continue
            try:
                out += [(loc, m) for m in _check_event_value(s, parts, value)]
            except pydantic.ValidationError as exc:
                out += [(loc, describe(err)[1]) for err in exc.errors(include_url=False)]
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
    out += dynamics_problems(s)
    out += [(loc, m) for loc, src in _evidence_refs(s, ()) if (m := _in(src, s.sources, "source"))]
    return out


def suspicious(s: Scenario) -> list[tuple[str, str]]:
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
