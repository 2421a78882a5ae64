"""Hypothesis strategies: valid scenarios by construction, and mutations that must be rejected.

``scenarios()`` draws plain dicts (what ``yaml.safe_load`` returns for a valid file);
``mutations()`` draws a :class:`Mutation`: a broken scenario plus the dotted key path it breaks.
"""

from __future__ import annotations

import copy
import functools
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from zopa.sim.scenario.schema import PROTOCOLS

__all__ = ["scenarios", "mutations", "Mutation", "MUTATION_KINDS", "write_scenario", "params", "conditions"]

# Ids from a pool of plain words: never YAML keywords (yes/no/on/null), so keys dump unquoted.
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
          "kilo", "lima", "mike", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "victor")
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
_DATES = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
_FINITE = {"allow_nan": False, "allow_infinity": False}


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{w}" for w in _WORDS[:n]]


@functools.lru_cache(maxsize=None)
def _evidence(sources: tuple[str, ...]) -> st.SearchStrategy:
    notes = st.builds(lambda t: {"note": t}, _TEXT) | _TEXT
    if not sources:
        return notes
    cited = st.builds(lambda s, q: {"source": s, "quote": q}, st.sampled_from(sources), _TEXT)
    return notes | cited


@functools.lru_cache(maxsize=512)
def params(lo: float, hi: float, sources: tuple[str, ...] = (), *, normal: bool = False) -> st.SearchStrategy:
    """A number or distribution whose every draw lies in [lo, hi] (``normal`` allows unbounded draws)."""
    x = st.floats(lo, hi, **_FINITE)
    pair = st.tuples(x, x).map(sorted)
    options = [
        x,
        x.map(lambda v: {"value": v}),
        pair.map(lambda p: {"uniform": list(p)}),
        st.tuples(x, x, x).map(sorted).map(lambda t: {"triangular": list(t)}),
        st.lists(x, min_size=1, max_size=4).map(lambda v: {"choice": v}),
    ]
    if lo <= 0 and hi >= 1:
        options.append(st.tuples(st.floats(0.1, 20), st.floats(0.1, 20)).map(lambda t: {"beta": list(t)}))
    if normal:
        options.append(st.tuples(x, st.floats(0, 1)).map(lambda t: {"normal": list(t)}))
    base = st.one_of(options)
    if not sources:
        return base
    return st.one_of(base, st.builds(_with_evidence, base.filter(lambda v: isinstance(v, dict)), _evidence(sources)))


def _with_evidence(value: dict, evidence: Any) -> dict:
    return {**value, "evidence": evidence}


@functools.lru_cache(maxsize=None)
def conditions(max_leaves: int = 4) -> st.SearchStrategy:
    """``talks_when`` conditions, nested with all/any/not."""
    leaves = st.one_of(
        st.sampled_from(["always", "never"]),
        st.integers(0, 24).map(lambda k: {"zopa_open_for": k}),
        st.integers(0, 10).map(lambda k: {"setbacks_at_least": k}),
        _DATES.map(lambda d: {"from": d}),
    )
    return st.recursive(leaves, lambda c: st.one_of(
        st.lists(c, min_size=1, max_size=3).map(lambda v: {"all": v}),
        st.lists(c, min_size=1, max_size=3).map(lambda v: {"any": v}),
        c.map(lambda v: {"not": v}),
    ), max_leaves=max_leaves)


@st.composite
def _issue(draw, sources: list[str]) -> dict:
    if draw(st.booleans()):
        lo = draw(st.floats(-100, 100, **_FINITE))
        width = draw(st.floats(0.5, 100, **_FINITE))
        issue: dict = {"range": [lo, lo + width]}
    else:
        n = draw(st.integers(2, 5))
        issue = {"levels": [f"lvl{w}" for w in _WORDS[:n]]}
    if draw(st.booleans()):
        issue["description"] = draw(_TEXT)
    if draw(st.booleans()):
        issue["unit"] = draw(_TEXT)
    if draw(st.booleans()):
        issue["evidence"] = draw(_evidence(sources))
    return issue


@st.composite
def _red_line(draw, issue: dict, sources: list[str]) -> dict:
    if "levels" in issue:
        levels = issue["levels"]
        if draw(st.booleans()):
            return {"allowed": draw(st.lists(st.sampled_from(levels), min_size=1, unique=True))}
        i, j = sorted(draw(st.tuples(st.integers(0, len(levels) - 1), st.integers(0, len(levels) - 1))))
        return draw(st.sampled_from([{"min": levels[i]}, {"max": levels[j]}, {"min": levels[i], "max": levels[j]}]))
    lo, hi = issue["range"]
    a, b = sorted(draw(st.tuples(st.floats(lo, hi), st.floats(lo, hi))))
    rl = draw(st.sampled_from([{"min": a}, {"max": b}, {"min": a, "max": b}]))
    if draw(st.booleans()):
        rl["evidence"] = draw(_evidence(sources))
    return rl


@st.composite
def _reservation(draw, sources: list[str], on_battlefield: bool) -> Any:
    kind = draw(st.sampled_from(["number", "param", "war"]))
    if kind == "number":
        return draw(st.floats(-1, 1, **_FINITE))
    if kind == "param":
        return draw(params(-1, 1, sources, normal=True))
    p = draw(params(0, 1, sources))
    if on_battlefield and draw(st.booleans()):
        p = {"prior": {"beta": [draw(st.floats(0.5, 20)), draw(st.floats(0.5, 20))]}}
    war = {"win_probability": p}
    if draw(st.booleans()):
        war["cost"] = draw(params(0, 0.5, sources))
    return {"war": war}


@st.composite
def _actor(draw, issues: dict, sources: list[str], on_battlefield: bool) -> dict:
    names = list(issues)
    weighted = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    weights = {i: draw(params(0, 10, sources)) for i in weighted}
    weights[weighted[0]] = draw(st.floats(0.1, 10))  # at least one positive weight
    ideal = {}
    for i in weighted:
        issue = issues[i]
        ideal[i] = draw(st.sampled_from(issue["levels"]) if "levels" in issue else params(*map(float, issue["range"])))
    actor: dict = {"weights": weights, "ideal": ideal,
                   "reservation": draw(_reservation(sources, on_battlefield))}
    optional = {
        "label": _TEXT,
        "color": st.sampled_from(["#1f77b4", "tab:red", "black"]),
        "erosion": params(0, 0.1, sources),
        "discount": params(0.05, 0.99, sources),
        "talks_when": conditions(),
        "evidence": _evidence(sources),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            actor[key] = draw(strategy)
    level_issues = [i for i in names if "levels" in issues[i]]
    if level_issues and draw(st.booleans()):
        i = draw(st.sampled_from(level_issues))
        actor["values"] = {i: {lvl: draw(st.floats(0, 1)) for lvl in issues[i]["levels"]}}
    limited = draw(st.lists(st.sampled_from(names), unique=True))
    if limited:
        actor["red_lines"] = {i: draw(_red_line(issues[i], sources)) for i in limited}
    if on_battlefield and draw(st.booleans()):
        actor["shifts"] = [{"after_setbacks": draw(st.integers(1, 5)),
                            "red_lines": {i: draw(_red_line(issues[i], sources)) for i in limited[:1] or names[:1]}}]
    return actor


@st.composite
def _event(draw, scenario: dict) -> dict:
    actor_id = draw(st.sampled_from(sorted(scenario["actors"])))
    choices = {f"actors.{actor_id}.erosion": params(0, 0.1), f"actors.{actor_id}.reservation": params(-1, 1)}
    for issue_id, issue in scenario["issues"].items():
        if "range" in issue:
            choices[f"actors.{actor_id}.red_lines.{issue_id}.max"] = st.just(issue["range"][1])
        else:
            choices[f"actors.{actor_id}.red_lines.{issue_id}.allowed"] = st.just(list(issue["levels"]))
    if "battlefield" in scenario:
        choices["battlefield.p_a"] = params(0, 1)
    keys = draw(st.lists(st.sampled_from(sorted(choices)), min_size=1, max_size=3, unique=True))
    event = {"date": draw(_DATES), "set": {k: draw(choices[k]) for k in keys}}
    if draw(st.booleans()):
        event["note"] = draw(_TEXT)
    return event


@st.composite
def scenarios(draw, *, min_actors: int = 2, max_actors: int = 5, max_issues: int = 4) -> dict:
    """A valid scenario as plain data: 2-5 actors, 1-4 issues (range and levels mixed)."""
    sources = tuple(_ids("src_", draw(st.integers(0, 3))))
    data: dict = {
        "name": draw(st.from_regex(r"[a-z][a-z0-9_.-]{0,15}", fullmatch=True)),
        "title": draw(_TEXT),
    }
    if draw(st.booleans()):
        data["description"] = draw(_TEXT)
    if sources:
        data["sources"] = {s: {"title": draw(_TEXT), "date": draw(_DATES), "publisher": draw(_TEXT)}
                           for s in sources}
    data["calendar"] = {"start": draw(_DATES), "step": draw(st.sampled_from(["day", "week", "month"]))}
    data["horizon"] = draw(st.integers(1, 200))
    data["protocol"] = draw(st.sampled_from(PROTOCOLS))
    if data["protocol"] == "concession":
        data["concession_step"] = draw(st.floats(0.01, 1))
    issue_ids = _ids("iss_", draw(st.integers(1, max_issues)))
    data["issues"] = {i: draw(_issue(sources)) for i in issue_ids}
    actor_ids = _ids("act_", draw(st.integers(min_actors, max_actors)))
    split = draw(st.integers(0, len(actor_ids) - 1)) if draw(st.booleans()) else 0
    fighting = actor_ids if split else []
    data["actors"] = {a: draw(_actor(data["issues"], sources, a in fighting)) for a in actor_ids}
    if split:
        data["battlefield"] = {"side_a": actor_ids[:split], "side_b": actor_ids[split:],
                               "p_a": draw(params(0, 1, sources)),
                               "battles_per_round": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        data["events"] = draw(st.lists(_event(data), min_size=1, max_size=3))
    return data


def write_scenario(tmp: Path, data: Any, name: str = "scenario.yaml") -> Path:
    """Dump plain data as block-style YAML (one key a line) and return the file's path."""
    path = tmp / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False),
                    encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- mutations

@dataclass
class Mutation:
    """A scenario that must be rejected; ``path`` is the dotted key path the loader must name.

    ``text`` replaces the dumped data when the breakage cannot be expressed as data (YAML tags);
    ``present`` says whether the last key of ``path`` is written in the file (so a line can be checked);
    ``suggest`` is a did-you-mean the message must contain, if any.
    """

    kind: str
    data: dict
    path: str
    present: bool = True
    text: str | None = None
    suggest: str | None = None

    def write(self, tmp: Path) -> Path:
        if self.text is None:
            return write_scenario(tmp, self.data)
        path = tmp / "scenario.yaml"
        path.write_text(self.text, encoding="utf-8")
        return path


def _typo(word: str, draw) -> str:
    i = draw(st.integers(0, len(word) - 2))
    return word[:i] + word[i + 1] + word[i] + word[i + 2:] if word[i] != word[i + 1] else word[:i] + word[i + 1:]


def _range_issue(d: dict) -> str:
    """The id of a range issue, adding one if there is none."""
    for i, issue in d["issues"].items():
        if "range" in issue:
            return i
    d["issues"]["iss_extra"] = {"range": [0.0, 1.0]}
    return "iss_extra"


def _levels_issue(d: dict) -> str:
    for i, issue in d["issues"].items():
        if "levels" in issue:
            return i
    d["issues"]["iss_extra"] = {"levels": ["low", "high"]}
    return "iss_extra"


def _use(d: dict, actor: str, issue_id: str, ideal: Any) -> None:
    a = d["actors"][actor]
    a["weights"].setdefault(issue_id, 1.0)
    a["ideal"][issue_id] = ideal


def _m_typo(d, draw, actor):
    where = draw(st.sampled_from(["top", "actor", "issue", "calendar"]))
    if where == "top":
        node, prefix, key = d, "", draw(st.sampled_from(["horizon", "calendar", "protocol", "title", "issues"]))
    elif where == "actor":
        node, prefix = d["actors"][actor], f"actors.{actor}."
        key = draw(st.sampled_from(["weights", "ideal", "reservation", "erosion", "discount", "red_lines"]))
    elif where == "issue":
        i = draw(st.sampled_from(sorted(d["issues"])))
        node, prefix = d["issues"][i], f"issues.{i}."
        key = "range" if "range" in node else "levels"
    else:
        node, prefix, key = d["calendar"], "calendar.", "start"
    typo = _typo(key, draw)
    node[typo] = node.pop(key, 1)
    return prefix + typo, True, key


def _m_ideal_outside(d, draw, actor):
    i = _range_issue(d)
    lo, hi = d["issues"][i]["range"]
    _use(d, actor, i, draw(st.sampled_from([hi + 1 + abs(hi), lo - 1 - abs(lo)])))
    return f"actors.{actor}.ideal.{i}", True, None


def _m_level_undeclared(d, draw, actor):
    i = _levels_issue(d)
    if draw(st.booleans()):
        _use(d, actor, i, "lvlnowhere")
        return f"actors.{actor}.ideal.{i}", True, None
    d["actors"][actor].setdefault("red_lines", {})[i] = {"allowed": ["lvlnowhere"]}
    return f"actors.{actor}.red_lines.{i}.allowed", True, None


def _m_weight_undeclared(d, draw, actor):
    issue_id = draw(st.sampled_from(sorted(d["issues"])))
    typo = _typo(issue_id, draw)
    d["actors"][actor]["weights"][typo] = 1.0
    return f"actors.{actor}.weights.{typo}", True, issue_id


def _m_source_undeclared(d, draw, actor):
    d["actors"][actor]["erosion"] = {"value": 0.01, "evidence": {"source": "nosuchsource", "quote": "q"}}
    return f"actors.{actor}.erosion.evidence.source", True, None


def _m_red_line_order(d, draw, actor):
    i = _range_issue(d)
    lo, hi = d["issues"][i]["range"]
    d["actors"][actor].setdefault("red_lines", {})[i] = {"min": hi, "max": lo}
    return f"actors.{actor}.red_lines.{i}", True, None


def _m_wrong_type(d, draw, actor):
    key = draw(st.sampled_from(["horizon", "erosion", "discount", "weights", "start"]))
    if key == "horizon":
        d["horizon"] = draw(st.sampled_from(["twelve", [12], {"n": 12}, 1.5]))
        return "horizon", True, None
    if key == "start":
        d["calendar"]["start"] = draw(st.sampled_from(["soon", 2024, [1]]))
        return "calendar.start", True, None
    d["actors"][actor][key] = draw(st.sampled_from(["high", [1, 2], True]))
    return f"actors.{actor}.{key}", True, None


def _m_missing(d, draw, actor):
    key = draw(st.sampled_from(["title", "calendar", "horizon", "issues", "reservation", "weights", "ideal"]))
    if key in ("reservation", "weights", "ideal"):
        del d["actors"][actor][key]
        return f"actors.{actor}.{key}", False, None
    del d[key]
    return key, False, None


def _m_arity(d, draw, actor):
    kind, args = draw(st.sampled_from([("uniform", [0.0]), ("normal", [0.0, 1.0, 2.0]),
                                       ("triangular", [0.0, 1.0]), ("beta", [1.0]), ("choice", [])]))
    d["actors"][actor]["erosion"] = {kind: args}
    return f"actors.{actor}.erosion", True, None


def _m_python_tag(d, draw, actor):
    d["actors"][actor]["label"] = "__TAG__"
    return f"actors.{actor}.label", True, None


def _m_bad_condition(d, draw, actor):
    d["actors"][actor]["talks_when"] = {"zopa_opne_for": 2}
    return f"actors.{actor}.talks_when", True, "zopa_open_for"


def _m_bad_protocol(d, draw, actor):
    d["protocol"] = "nsah"
    return "protocol", True, "nash"


def _m_bad_probability(d, draw, actor):
    d["actors"][actor]["reservation"] = {"war": {"win_probability": draw(st.sampled_from([1.5, -0.2]))}}
    return f"actors.{actor}.reservation.war.win_probability", True, None


def _m_bad_event(d, draw, actor):
    d["events"] = [{"date": dt.date(2024, 1, 1), "set": {f"actors.{actor}.erosoin": 0.1}}]
    return f"events.0.set.actors.{actor}.erosoin", True, None


def _m_battlefield_actor(d, draw, actor):
    d["battlefield"] = {"side_a": [actor], "side_b": ["act_nobody"], "p_a": 0.5}
    return "battlefield.side_b.0", True, None


_MUTATORS = {
    "unknown_key": _m_typo,
    "ideal_outside_range": _m_ideal_outside,
    "level_not_declared": _m_level_undeclared,
    "weight_undeclared_issue": _m_weight_undeclared,
    "source_not_declared": _m_source_undeclared,
    "red_line_min_gt_max": _m_red_line_order,
    "wrong_type": _m_wrong_type,
    "missing_required": _m_missing,
    "bad_distribution_arity": _m_arity,
    "python_tag": _m_python_tag,
    "bad_condition": _m_bad_condition,
    "bad_protocol": _m_bad_protocol,
    "probability_out_of_range": _m_bad_probability,
    "bad_event_path": _m_bad_event,
    "battlefield_unknown_actor": _m_battlefield_actor,
}
MUTATION_KINDS = tuple(_MUTATORS)
_TAG = "!!python/object/apply:os.system ['touch {marker}']"


@st.composite
def mutations(draw, kinds: tuple[str, ...] = MUTATION_KINDS, marker: str = "/nonexistent/zopa-marker") -> Mutation:
    """A valid scenario broken in exactly one way; ``marker`` is the file a YAML tag would create."""
    kind = draw(st.sampled_from(kinds))
    data = copy.deepcopy(draw(scenarios()))
    if kind in ("battlefield_unknown_actor", "bad_event_path"):
        data.pop("battlefield", None)
        data.pop("events", None)
        for a in data["actors"].values():
            a.pop("shifts", None)
            war = a["reservation"].get("war") if isinstance(a["reservation"], dict) else None
            if war and isinstance(war["win_probability"], dict) and "prior" in war["win_probability"]:
                war["win_probability"] = 0.5
    actor = draw(st.sampled_from(sorted(data["actors"])))
    path, present, suggest = _MUTATORS[kind](data, draw, actor)
    text = None
    if kind == "python_tag":
        dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
        text = dumped.replace("__TAG__", _TAG.format(marker=marker))
    return Mutation(kind, data, path, present, text, suggest)


# ---------------------------------------------------------------------------- extreme but valid numbers

def _value(issue: dict, ideal: Any, x: Any) -> float:
    """An actor's unweighted value of outcome ``x`` on one issue (the documented formula)."""
    if "levels" in issue:
        levels = issue["levels"]
        i, j = levels.index(ideal), levels.index(x)
        return 1.0 - abs(j - i) / max(i, len(levels) - 1 - i)
    lo, hi = issue["range"]
    return 1.0 - abs(x - ideal) / max(ideal - lo, hi - ideal)


def utility(data: dict, actor_id: str, terms: dict) -> float:
    """An actor's utility of ``terms`` (issue -> number or level), by the formula of the scenario format:
    weights normalised to sum 1, linear loss from the ideal over the distance to the range's far end."""
    a = data["actors"][actor_id]
    total = sum(a["weights"].values())
    return sum(w / total * _value(data["issues"][k], a["ideal"][k], terms[k]) for k, w in a["weights"].items())


@st.composite
def _meeting_point(draw, issue: dict) -> Any:
    if "levels" in issue:
        return draw(st.sampled_from(issue["levels"]))
    lo, hi = issue["range"]
    return draw(st.sampled_from([lo, hi]) | st.floats(lo, hi, **_FINITE))


@st.composite
def _extreme_red_line(draw, issue: dict, point: Any, pinned: str | None) -> dict | None:
    """A red line that keeps ``point`` acceptable; ``pinned`` ("min" or "max") makes it end there."""
    if "levels" in issue:
        if pinned:
            return {"allowed": [point]}
        return draw(st.none() | st.lists(st.sampled_from(issue["levels"]), unique=True)
                    .map(lambda v: {"allowed": sorted(set(v) | {point}, key=issue["levels"].index)}))
    lo, hi = issue["range"]
    if pinned:
        return {pinned: point}
    kind = draw(st.sampled_from([None, "min", "max", "both"]))
    if kind is None:
        return None
    rl = {}
    if kind in ("min", "both"):
        rl["min"] = draw(st.floats(lo, point, **_FINITE))
    if kind in ("max", "both"):
        rl["max"] = draw(st.floats(point, hi, **_FINITE))
    return rl


def _best(data: dict, actor_id: str) -> float:
    """The actor's largest utility inside every red line (issue by issue: utilities are separable)."""
    a = data["actors"][actor_id]
    terms = {}
    for k, issue in data["issues"].items():
        if k not in a["weights"]:
            continue
        rls = [b.get("red_lines", {}).get(k) for b in data["actors"].values()]
        rls = [r for r in rls if r]
        if "levels" in issue:
            ok = [lv for lv in issue["levels"] if all(lv in r["allowed"] for r in rls)]
            terms[k] = max(ok, key=lambda lv: _value(issue, a["ideal"][k], lv))
        else:
            lo = max([issue["range"][0]] + [r["min"] for r in rls if "min" in r])
            hi = min([issue["range"][1]] + [r["max"] for r in rls if "max" in r])
            terms[k] = min(max(a["ideal"][k], lo), hi)
    return utility(data, actor_id, terms)


@st.composite
def extreme_scenarios(draw, *, protocol: str = "nash", exponents: st.SearchStrategy | None = None) -> dict:
    """A valid scenario with extreme but valid numbers, every value fixed (one world says it all).

    2-4 actors, 1-3 range issues and maybe a levels issue (or a levels issue alone); weights log-uniform
    over 1e-9..1e9 (18 orders of magnitude); red lines that all keep one meeting point acceptable, some
    meeting exactly there (a single-point zone on that issue); reservations equal to the utility of the
    meeting point, to the actor's best outcome inside the red lines, or lower. The meeting point is stored
    as ``_point`` (drop it before writing the file).
    """
    issues: dict = {}
    levels = draw(st.booleans())
    for k in _ids("iss_", draw(st.integers(0 if levels else 1, 3))):
        lo = draw(st.sampled_from([0.0, -1.0]) | st.floats(-100, 100, **_FINITE))
        issues[k] = {"range": [lo, lo + draw(st.sampled_from([1.0]) | st.floats(0.5, 100, **_FINITE))]}
    if levels:
        issues["iss_levels"] = {"levels": [f"lvl{w}" for w in _WORDS[:draw(st.integers(2, 4))]]}
    point = {k: draw(_meeting_point(v)) for k, v in issues.items()}
    ids = _ids("act_", draw(st.integers(2, 4)))
    pins = {k: draw(st.sampled_from([None, *[(i, j) for i in ids for j in ids if i != j]])) for k in issues}
    actors: dict = {}
    for a in ids:
        weighted = draw(st.lists(st.sampled_from(list(issues)), min_size=1, unique=True))
        weights = {k: 10.0 ** draw(exponents or st.floats(-9, 9, **_FINITE)) for k in weighted}
        ideal = {k: draw(_meeting_point(issues[k])) for k in weighted}
        red_lines = {}
        for k, issue in issues.items():
            pinned = None if pins[k] is None else {pins[k][0]: "min", pins[k][1]: "max"}.get(a)
            rl = draw(_extreme_red_line(issue, point[k], pinned))
            if rl:
                red_lines[k] = rl
        actors[a] = {"weights": weights, "ideal": ideal, "discount": draw(st.sampled_from([0.5, 0.9, 0.999])),
                     **({"red_lines": red_lines} if red_lines else {})}
    data = {"name": "extreme", "title": "Extreme but valid numbers",
            "calendar": {"start": "2024-01-01", "step": "month"}, "horizon": 8, "protocol": protocol,
            "issues": issues, "actors": actors, "_point": point}
    for a in ids:
        kind = draw(st.sampled_from(["point", "best", "below"]))
        at_point = utility(data, a, point)
        r = {"point": at_point, "best": _best(data, a)}.get(kind)
        actors[a]["reservation"] = r if r is not None else draw(st.floats(-1.0, at_point, **_FINITE))
    return data
