"""Cross-field checks of a scenario: references between fields, run after the schema's own checks."""

from __future__ import annotations

from typing import Any, Mapping

import pydantic
from pydantic import BaseModel

from ..events import SETTABLE
from .errors import did_you_mean as _did_you_mean
from .messages import describe
from .params import Param, parse_param
from .dynamics_checks import dynamics_problems
from .schema import Actor, LineRelative, RedLine, Scenario, last_date

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


# Ids become parts of dotted paths (actors.<id>.erosion, columns utility.<id>), of --set KEY=VALUE and
# of comma-separated lists of actors: these characters would make two different ids read alike.
_ID_BREAKERS = ".=,*"


def _check_id(kind: str, name: Any) -> str | None:
    text = str(name)
    bad = sorted({c for c in text if c in _ID_BREAKERS or not c.isprintable() or c.isspace()})
    if text and not bad:
        return None
    shown = ", ".join(repr(c) for c in bad) if bad else "nothing"
    fixed = "".join("_" if c in bad else c for c in text) or "x"
    return (f"found {kind} id {text!r} with {shown}, expected letters, digits, '_' or '-' (ids are parts of "
            f"dotted paths such as actors.<id>.erosion and of column names): rename it, e.g. {fixed!r}")


def _can_be_zero(w: Param) -> bool:
    return w.bounds()[1] <= 0 or (w.kind == "choice" and 0 in w.args)


def _check_weights(s: Scenario, a: Actor) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    for issue_id, w in a.weights.items():
        if m := _in(issue_id, s.issues, "issue"):
            out.append((("weights", issue_id), m))
        elif w.bounds()[0] < 0:
            out.append((("weights", issue_id), f"found {w.describe()}, expected a weight >= 0"))
    if not out and not any(w.bounds()[1] > 0 for w in a.weights.values()):
        out.append((("weights",), "found all weights zero, expected at least one positive weight"))
    elif not out and all(_can_be_zero(w) for w in a.weights.values()):
        drawn = ", ".join(f"{k}: {w.describe()}" for k, w in a.weights.items())
        out.append((("weights",), f"found weights that can all be zero in one world ({drawn}), expected at "
                                  "least one weight whose every draw is positive"))
    return out


def _check_actor(s: Scenario, actor_id: str, a: Actor) -> list[tuple[tuple, str]]:
    out = _check_weights(s, a)
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


def _check_status_quo(s: Scenario) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    for k, issue in s.issues.items():
        sq, loc = issue.status_quo, ("issues", k, "status_quo")
        if sq is None:
            continue
        if issue.is_levels and sq not in issue.levels:
            out.append((loc, f"found {sq!r}, expected one of the levels {', '.join(issue.levels)}"))
        elif not issue.is_levels and (isinstance(sq, str) or not issue.range[0] <= sq <= issue.range[1]):
            out.append((loc, f"found {sq!r}, expected a number in [{issue.range[0]:g}, {issue.range[1]:g}]"))
    return out


def _check_partial_deals(s: Scenario) -> list[tuple[tuple, str]]:
    """Partial deals name known issues, and every issue they defer has a status quo to stay at."""
    out: list[tuple[tuple, str]] = []
    for name, pd in s.partial_deals.items():
        loc = ("partial_deals", name)
        out += [(loc + ("issues", i), m) for i, k in enumerate(pd.issues) if (m := _in(k, s.issues, "issue"))]
        if set(pd.issues) >= set(s.issues):
            out.append((loc + ("issues",), "found every issue, expected a subset (a deal on all issues is a settlement)"))
        for k in s.issues:
            if k not in pd.issues and s.issues[k].status_quo is None:
                out.append((("issues", k), f"found no status_quo, expected one: partial deal {name!r} defers "
                                           "this issue at its status quo"))
        for key in ("battles", "erosion"):
            lo, hi = getattr(pd, key).bounds()
            if lo < 0:
                out.append((loc + (key,), f"found {getattr(pd, key).describe()}, expected a factor >= 0"))
    return out


def _check_relapse(s: Scenario) -> list[tuple[tuple, str]]:
    r = s.relapse
    if r is None:
        return []
    out: list[tuple[tuple, str]] = []
    lo, hi = r.hazard.bounds()
    if lo < 0 or hi > 1:
        out.append((("relapse", "hazard"), f"found {r.hazard.describe()}, expected a probability in [0, 1]"))
    if r.power_shift.bounds()[0] < 0:
        out.append((("relapse", "power_shift"), f"found {r.power_shift.describe()}, expected values >= 0"))
    g = r.guarantee
    if g is not None:
        loc = ("relapse", "guarantee")
        if (m := _in(g.issue, s.issues, "issue")):
            return out + [(loc + ("issue",), m)]
        issue = s.issues[g.issue]
        if not issue.is_levels:
            return out + [(loc + ("issue",), f"found range issue {g.issue!r}, expected a levels issue")]
        missing = [lv for lv in issue.levels if lv not in g.factor]
        extra = [lv for lv in g.factor if lv not in issue.levels]
        if missing or extra:
            out.append((loc + ("factor",), f"found levels {', '.join(g.factor)}, expected a factor for each of "
                                           f"{', '.join(issue.levels)}"))
        out += [(loc + ("factor", lv), f"found {f!r}, expected a factor >= 0") for lv, f in g.factor.items() if f < 0]
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
    if parts[0] in ("battlefield", "mediation") and not (0 <= p.bounds()[0] and p.bounds()[1] <= 1):
        return [f"found {p.describe()}, expected a probability in [0, 1]"]
    return []


def _ignored(s: Scenario, i: int, parts: list[str]) -> str | None:
    """Why an event's war cost would change nothing: the actor's reservation is (by then) a number."""
    if parts[2:] != ["reservation", "war", "cost"]:
        return None
    if s.actors[parts[1]].war is None:
        return (f"found a war cost for actor {parts[1]!r}, whose reservation is a number, expected an actor with "
                "reservation: {war: ...} (the cost of a war it never weighs changes nothing)")
    fixed = [j for j, ev in enumerate(s.events) if ev.date <= s.events[i].date and j != i
             and f"actors.{parts[1]}.reservation" in {".".join(_split(k)) for k in ev.set}]
    if fixed:
        return (f"found a war cost for actor {parts[1]!r}, whose reservation events.{fixed[0]} sets to a number "
                "on or before this date, expected it to have a war reservation then (this would change nothing)")
    return None


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
            if m := _ignored(s, i, parts):
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


def _check_calendar(s: Scenario) -> list[tuple[tuple, str]]:
    if last_date(s.calendar.start, s.calendar.step, s.horizon) is not None:
        return []
    return [(("horizon",), f"found {s.horizon} {s.calendar.step}s from {s.calendar.start}, ending after "
                           "9999-12-31, expected a horizon the calendar can date (fewer rounds or an earlier start)")]


def _check_ids(s: Scenario) -> list[tuple[tuple, str]]:
    return [((section, name), m) for section, kind in (("actors", "actor"), ("issues", "issue"))
            for name in getattr(s, section) if (m := _check_id(kind, name))]


def cross_check(s: Scenario) -> list[tuple[tuple, str]]:
    """All problems that involve more than one field, as (key path, message)."""
    out: list[tuple[tuple, str]] = _check_ids(s) + _check_calendar(s)
    for actor_id, actor in s.actors.items():
        out += [(("actors", actor_id) + loc, m) for loc, m in _check_actor(s, actor_id, actor)]
    out += _check_battlefield(s)
    out += _check_events(s)
    out += _check_status_quo(s) + _check_partial_deals(s) + _check_relapse(s)
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
