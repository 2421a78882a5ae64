"""Cross-field checks of the dynamics: triggers, costs, the front line, patrons and observed history."""

from __future__ import annotations

from ..conditions import references
from .schema import Scenario

__all__ = ["dynamics_problems"]


def _in(name, options, what: str) -> str | None:
    from .checks import _in as check_in

    return check_in(name, options, what)


def _trigger_names(s: Scenario) -> set[str]:
    return {f"{a_id}.{t.name}" for a_id, a in s.actors.items() for t in a.triggers if t.name}


def _condition_refs(s: Scenario, cond, loc: tuple) -> list[tuple[tuple, str]]:
    out = []
    for kind, name in references(cond):
        if kind == "moved" and (m := _in(name, sorted(_trigger_names(s)), "trigger")):
            out.append((loc, m))
        elif kind == "patron" and (m := _in(name, s.patrons, "patron")):
            out.append((loc, m))
    return out


def _check_trigger(s: Scenario, actor_id: str, k: int, t) -> list[tuple[tuple, str]]:
    from .checks import _check_red_line

    loc = ("actors", actor_id, "triggers", k)
    out = _condition_refs(s, t.when, loc + ("when",))
    for issue_id, rl in t.red_lines.items():
        if m := _in(issue_id, s.issues, "issue"):
            out.append((loc + ("red_lines", issue_id), m))
        else:
            out += [(loc + ("red_lines", issue_id) + where, m) for where, m in _check_red_line(s, issue_id, rl)]
    for issue_id, w in t.weights.items():
        if m := _in(issue_id, s.issues, "issue"):
            out.append((loc + ("weights", issue_id), m))
        elif w.bounds()[0] < 0:
            out.append((loc + ("weights", issue_id), f"found {w.describe()}, expected a weight >= 0"))
    for patron, level in t.aid.items():
        if m := _in(patron, s.patrons, "patron"):
            out.append((loc + ("aid", patron), m))
        elif level.bounds()[0] < 0:
            out.append((loc + ("aid", patron), f"found {level.describe()}, expected an aid level >= 0"))
    return out


def _check_actor_triggers(s: Scenario, actor_id: str, a) -> list[tuple[tuple, str]]:
    out = _condition_refs(s, a.talks_when, ("actors", actor_id, "talks_when"))
    seen: set[str] = set()
    for k, t in enumerate(a.triggers):
        if t.name is not None and t.name in seen:
            out.append((("actors", actor_id, "triggers", k, "name"),
                        f"found {t.name!r} twice, expected trigger names unique within an actor"))
        seen.add(t.name)
        out += _check_trigger(s, actor_id, k, t)
    return out


def _check_costs(s: Scenario) -> list[tuple[tuple, str]]:
    out = []
    for actor_id, a in s.actors.items():
        if a.costs is None:
            continue
        loc = ("actors", actor_id, "costs")
        for key in ("per_round", "per_battle", "growth"):
            if getattr(a.costs, key).bounds()[0] < (-1 if key == "growth" else 0):
                out.append((loc + (key,), f"found {getattr(a.costs, key).describe()}, expected values >= "
                                          f"{-1 if key == 'growth' else 0}"))
        lo, hi = a.costs.memory.bounds()
        if not (0 <= lo and hi <= 1):
            out.append((loc + ("memory",), f"found {a.costs.memory.describe()}, expected a factor in [0, 1]"))
    return out


def _line_bounds(s: Scenario) -> list[tuple[tuple, str]]:
    """Red lines and ideals written relative to the line need a front on their issue (a levels issue's
    ideal is a level name, refused as such by :mod:`sim.scenario.checks`)."""
    from .schema import LineRelative

    front = s.battlefield.front.issue if s.battlefield is not None and s.battlefield.front else None
    out = []
    for actor_id, a in s.actors.items():
        places = [(("red_lines",), a.red_lines)] + [(("shifts", k, "red_lines"), sh.red_lines)
                                                    for k, sh in enumerate(a.shifts)]
        places += [(("triggers", k, "red_lines"), t.red_lines) for k, t in enumerate(a.triggers)]
        for where, red_lines in places:
            for issue_id, rl in red_lines.items():
                for key in ("min", "max"):
                    if isinstance(getattr(rl, key), LineRelative) and issue_id != front:
                        out.append((("actors", actor_id) + where + (issue_id, key),
                                    f"found a red line relative to the line on {issue_id!r}, expected "
                                    f"battlefield.front.issue: {issue_id}"))
        for issue_id, value in a.ideal.items():
            if isinstance(value, LineRelative) and issue_id != front and issue_id in s.issues \
                    and not s.issues[issue_id].is_levels:
                out.append((("actors", actor_id, "ideal", issue_id),
                            f"found an ideal relative to the line on {issue_id!r}, expected "
                            f"battlefield.front.issue: {issue_id}"))
    return out


def _check_front(s: Scenario) -> list[tuple[tuple, str]]:
    b = s.battlefield
    if b is None or b.front is None:
        return []
    f, loc = b.front, ("battlefield", "front")
    if m := _in(f.issue, s.issues, "issue"):
        return [(loc + ("issue",), m)]
    issue = s.issues[f.issue]
    if issue.is_levels:
        return [(loc + ("issue",), f"found levels issue {f.issue!r}, expected a range issue")]
    out = []
    lo, hi = issue.range
    if f.start.bounds()[0] < lo or f.start.bounds()[1] > hi:
        out.append((loc + ("start",), f"found {f.start.describe()}, expected values within [{lo:g}, {hi:g}]"))
    if f.per_battle.bounds()[0] < 0:
        out.append((loc + ("per_battle",), f"found {f.per_battle.describe()}, expected a step >= 0"))
    return out


def _check_patrons(s: Scenario) -> list[tuple[tuple, str]]:
    out = []
    if s.patrons and s.battlefield is None:
        out.append((("patrons",), "found patrons, expected a battlefield section for their aid to act on"))
    for p_id, p in s.patrons.items():
        if p.aid.bounds()[0] < 0:
            out.append((("patrons", p_id, "aid"), f"found {p.aid.describe()}, expected an aid level >= 0"))
    for i, ev in enumerate(s.events):
        for key in ev.set:
            parts = key.split(".")
            if parts[0] == "patrons" and len(parts) == 3 and (m := _in(parts[1], s.patrons, "patron")):
                out.append((("events", i, "set", key), m))
    return out


def _check_observed(s: Scenario) -> list[tuple[tuple, str]]:
    o = s.observed
    if o is None:
        return []
    import numpy as np

    from ..model.worlds import round_dates

    out = []
    dates = round_dates(s.calendar.start, s.calendar.step, s.horizon + 1)
    until = int(np.searchsorted(dates, np.datetime64(o.until, "D"), side="right")) - 1
    seen: dict[int, int] = {}
    battles = s.battlefield.battles_per_round if s.battlefield else 0
    for k, entry in enumerate(o.rounds):
        loc = ("observed", "rounds", k)
        r = int(np.searchsorted(dates, np.datetime64(entry.date, "D")))
        if r in seen:
            out.append((loc + ("date",), f"found a second entry for round {r} (entry {seen[r]} has it), "
                                         "expected one entry a round"))
        seen[r] = k
        if not 1 <= r <= until:
            out.append((loc + ("date",), f"found {entry.date}, expected a date after {s.calendar.start} and "
                                         f"on or before until: {o.until}"))
        if entry.a_wins is not None and entry.a_wins > battles:
            out.append((loc + ("a_wins",), f"found {entry.a_wins}, expected at most battles_per_round: {battles}"))
        out += [(loc + ("aid", p), m) for p in entry.aid if (m := _in(p, s.patrons, "patron"))]
        if entry.line is not None:
            out += _observed_line(s, loc, entry.line)
    if battles:
        missing = [str(dates[r]) for r in range(1, until + 1)
                   if r not in seen or o.rounds[seen[r]].a_wins is None]
        if missing:
            out.append((("observed", "rounds"), f"found no a_wins for the rounds of {', '.join(missing[:3])}"
                        f"{' ...' if len(missing) > 3 else ''}, expected every round up to until scripted"))
    return out


def _observed_line(s: Scenario, loc: tuple, line: float) -> list[tuple[tuple, str]]:
    f = s.battlefield.front if s.battlefield is not None else None
    if f is None:
        return [(loc + ("line",), "found a line, expected battlefield.front to tie it to an issue")]
    lo, hi = s.issues[f.issue].range if f.issue in s.issues and s.issues[f.issue].range else (line, line)
    if not lo <= line <= hi:
        return [(loc + ("line",), f"found {line:g}, expected a value within [{lo:g}, {hi:g}]")]
    return []


def dynamics_problems(s: Scenario) -> list[tuple[tuple, str]]:
    """Every problem with triggers, costs, the front, patrons and observed history, as (key path, message)."""
    out: list[tuple[tuple, str]] = []
    for actor_id, a in s.actors.items():
        out += _check_actor_triggers(s, actor_id, a)
    return out + _check_costs(s) + _line_bounds(s) + _check_front(s) + _check_patrons(s) + _check_observed(s)
