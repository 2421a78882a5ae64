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


def dynamics_problems(s: Scenario) -> list[tuple[tuple, str]]:
    """Every problem with triggers, costs, the front, patrons and observed history, as (key path, message)."""
    out: list[tuple[tuple, str]] = []
    for actor_id, a in s.actors.items():
        out += _check_actor_triggers(s, actor_id, a)
    return out
