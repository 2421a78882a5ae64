"""The condition language of ``talks_when`` and of triggers: parsed and evaluated here, nowhere else.

A condition is ``always``, ``never`` or a one-key mapping; conditions nest with ``all``, ``any`` and
``not``. A threshold may be a number or a distribution (``{setbacks_at_least: {choice: [3, 4, 5]}}``):
:func:`bind` draws it once per world before the run, so :func:`holds` compares arrays.

A new condition kind is added in this module only: its key in :data:`CONDITION_KEYS`, its parsing in
:func:`parse_condition`, its drawing in :func:`bind` (if it has a threshold) and its meaning in :func:`holds`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Callable, Mapping

import numpy as np

__all__ = ["Condition", "parse_condition", "bind", "holds", "State", "Recent", "longest_window", "CONDITION_KEYS",
           "references"]

# kind -> (threshold sub-keys drawn per world, what the state is compared with)
_THRESHOLDS = ("setbacks_at_least", "gains_at_least", "costs_at_least", "belief_at_least", "belief_at_most",
               "reservation_below_red_lines")
_WINDOWS = ("setbacks_within", "gains_within", "stalemate_for")
_PATRON = ("aid_at_least", "aid_at_most")
CONDITION_KEYS = ("zopa_open_for", "from", *_THRESHOLDS, *_WINDOWS, "moved", *_PATRON, "failed_talks_at_least",
                  "mediation_at_least", "all", "any", "not")
_WHOLE = ("setbacks_at_least", "gains_at_least")


@dataclass(frozen=True)
class Condition:
    """``kind`` is always, never, or a key of CONDITION_KEYS; ``arg`` its argument.

    Thresholds are :class:`~sim.scenario.params.Param` as parsed, numpy arrays (one per world) once bound.
    """

    kind: str
    arg: Any = None

    def describe(self) -> str:
        if self.kind in ("always", "never"):
            return self.kind
        if self.kind in ("all", "any"):
            return f"{self.kind}(" + ", ".join(c.describe() for c in self.arg) + ")"
        if self.kind == "not":
            return f"not({self.arg.describe()})"
        if isinstance(self.arg, dict):
            inner = ", ".join(f"{k}: {_show(v)}" for k, v in self.arg.items())
            return f"{self.kind}: {{{inner}}}"
        return f"{self.kind}: {_show(self.arg)}"

    def params(self, path: str = "") -> list[tuple[str, Any]]:
        """Every drawable threshold as (relative dotted path, Param), for ``zopa explain`` and binding."""
        if self.kind in ("all", "any"):
            return [p for i, c in enumerate(self.arg) for p in c.params(f"{path}{self.kind}.{i}.")]
        if self.kind == "not":
            return self.arg.params(f"{path}not.")
        if self.kind in _THRESHOLDS:
            return [(f"{path}{self.kind}", self.arg)]
        if self.kind in _WINDOWS or self.kind in _PATRON:
            return [(f"{path}{self.kind}.{k}", v) for k, v in self.arg.items() if k != "rounds"]
        return []


def _show(v: Any) -> str:
    if hasattr(v, "describe"):
        return v.describe()
    if isinstance(v, np.ndarray):
        return f"drawn per world ({v.min():g} to {v.max():g})"
    return str(v)


def _count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"found {key}: {value!r}, expected a whole number >= 0")
    return value


def _threshold(key: str, value: Any, *, whole: bool = False, lo: float = 0.0):
    """A number (a whole one for counts) or a distribution, never below ``lo``."""
    from .scenario.params import parse_param

    if whole and not isinstance(value, dict):
        _count(key, value)
    try:
        p = parse_param(value)
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None
    if p.bounds()[0] < lo:
        raise ValueError(f"found {key}: {p.describe()}, expected values >= {lo:g}")
    return p


def _window(key: str, value: Any) -> dict:
    bound = "at_most" if key == "stalemate_for" else "at_least"
    if not isinstance(value, dict) or set(value) != {"rounds", bound}:
        raise ValueError(f"found {key}: {value!r}, expected {{rounds: m, {bound}: k}}")
    rounds = _count(f"{key}.rounds", value["rounds"])
    if rounds < 1:
        raise ValueError(f"found {key}.rounds: 0, expected a whole number >= 1")
    return {"rounds": rounds, bound: _threshold(f"{key}.{bound}", value[bound])}


def _patron(key: str, value: Any) -> dict:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"found {key}: {value!r}, expected {{patron id: level}}")
    ((patron, level),) = value.items()
    return {str(patron): _threshold(f"{key}.{patron}", level)}


def parse_condition(raw: Any) -> Condition:
    """Parse a condition (see the scenario format reference for every kind)."""
    if isinstance(raw, Condition):
        return raw
    if raw in ("always", "never"):
        return Condition(raw)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError(f"found {raw!r}, expected always, never, or one of "
                         + ", ".join(f"{{{k}: ...}}" for k in CONDITION_KEYS))
    ((key, value),) = raw.items()
    if key == "zopa_open_for":
        return Condition(key, _count(key, value))
    if key in _THRESHOLDS:
        return Condition(key, _threshold(key, value, whole=key in _WHOLE))
    if key in _WINDOWS:
        return Condition(key, _window(key, value))
    if key in _PATRON:
        return Condition(key, _patron(key, value))
    if key == "moved":
        if not isinstance(value, str) or value.count(".") != 1:
            raise ValueError(f"found moved: {value!r}, expected 'actor.trigger' (an actor id and a trigger name)")
        return Condition(key, value)
    if key == "failed_talks_at_least":
        return Condition(key, _count(key, value))
    if key == "mediation_at_least":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"found mediation_at_least: {value!r}, expected a number in [0, 1]")
        return Condition(key, float(value))
    if key == "from":
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                pass
        if not isinstance(value, dt.date):
            raise ValueError(f"found from: {value!r}, expected a date YYYY-MM-DD")
        return Condition(key, value)
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ValueError(f"found {key}: {value!r}, expected a non-empty list of conditions")
        return Condition(key, tuple(parse_condition(v) for v in value))
    if key == "not":
        return Condition(key, parse_condition(value))
    import difflib
    close = difflib.get_close_matches(str(key), CONDITION_KEYS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"found condition {key!r}, expected one of {', '.join(CONDITION_KEYS)}{hint}")


def bind(cond: Condition, sample: Callable[[Any, str], np.ndarray], path: str) -> Condition:
    """The condition with every threshold drawn once per world: ``sample(param, dotted path)``."""
    k, arg = cond.kind, cond.arg
    if k in ("all", "any"):
        return replace(cond, arg=tuple(bind(c, sample, f"{path}.{k}.{i}") for i, c in enumerate(arg)))
    if k == "not":
        return replace(cond, arg=bind(arg, sample, f"{path}.not"))
    if k in _THRESHOLDS:
        return replace(cond, arg=sample(arg, f"{path}.{k}"))
    if k in _WINDOWS or k in _PATRON:
        return replace(cond, arg={key: v if key == "rounds" else sample(v, f"{path}.{k}.{key}")
                                  for key, v in arg.items()})
    return cond


def references(cond: Condition) -> list[tuple[str, str]]:
    """(kind, name) of every other entity a condition names: ``moved`` triggers and ``aid_*`` patrons."""
    if cond.kind in ("all", "any"):
        return [r for c in cond.arg for r in references(c)]
    if cond.kind == "not":
        return references(cond.arg)
    if cond.kind == "moved":
        return [("moved", cond.arg)]
    if cond.kind in _PATRON:
        return [("patron", p) for p in cond.arg]
    return []


@dataclass(frozen=True)
class State:
    """What a condition can see in a round, for one actor in every world (arrays of shape (W,)).

    What costs time to compute (the red lines' worst deal, other actors' triggers, even a sum over the
    worlds) is passed as a function and computed only if a condition asks for it.
    """

    runs: int
    date: np.datetime64       # the round's calendar date
    open_streak: np.ndarray   # rounds the zone has been open in a row
    setbacks_of: Callable[[], np.ndarray]  # net battles lost by the actor's side, all rounds so far
    recent: "Recent | None" = None         # net battles lost by side A in the last rounds
    side: int = 0                          # +1 side A, -1 side B, 0 none
    costs_of: Callable[[], np.ndarray] | None = None     # accumulated costs of war (Fearon's c)
    belief: np.ndarray | None = None       # expected chance of winning a battle
    reservation: np.ndarray | None = None
    floor_of: Callable[[], np.ndarray] | None = None     # the worst utility its own red lines still allow
    moved_of: Callable[[], Mapping[str, np.ndarray]] | None = None   # 'actor.trigger' -> in force
    aid: Mapping[str, np.ndarray] = field(default_factory=dict)     # patron -> aid level
    failed_talks: np.ndarray | None = None   # rounds of talks held without a deal so far
    mediation: np.ndarray | None = None      # a mediator's or patron's pressure for talks, 0 to 1

    @cached_property
    def setbacks(self) -> np.ndarray:
        return self.setbacks_of()

    @cached_property
    def costs(self) -> np.ndarray | None:
        return None if self.costs_of is None else self.costs_of()

    @cached_property
    def floor(self) -> np.ndarray | None:
        return None if self.floor_of is None else self.floor_of()

    @cached_property
    def moved(self) -> Mapping[str, np.ndarray]:
        return {} if self.moved_of is None else self.moved_of()

    def window(self, rounds: int) -> tuple[np.ndarray, bool]:
        """Net battles lost by the actor's side over the last ``rounds`` rounds, and whether that many
        rounds have passed."""
        if self.recent is None:
            return np.zeros(self.runs), False
        net, full = self.recent.window(rounds)
        return self.side * net, full


class Recent:
    """Side A's net battle losses in each of the last ``size`` rounds, per world: a ring of (size, W), as
    far back as the longest window a condition of the scenario looks (:func:`longest_window`)."""

    def __init__(self, size: int, runs: int):
        self.rows = np.zeros((size, runs), dtype=np.int32)    # whole battles (observed ones too)
        self.count = 0             # rounds pushed so far
        self.sums: dict[int, np.ndarray] = {}   # rounds -> this round's window sum, as several conditions ask

    def push(self, net: np.ndarray) -> None:
        if len(self.rows):
            self.rows[self.count % len(self.rows)] = net
        self.count += 1
        self.sums.clear()

    def window(self, rounds: int) -> tuple[np.ndarray, bool]:
        """The sum over the last ``rounds`` rounds (all so far while fewer have passed), not to be written
        to (it is kept until the next push), and whether that many have passed."""
        if rounds > len(self.rows):
            raise ValueError(f"a window of {rounds} rounds on a ring of {len(self.rows)}")
        if rounds not in self.sums:
            if rounds == len(self.rows) <= self.count:      # the whole ring, in any order: whole numbers
                rows = self.rows
            else:
                rows = self.rows[np.arange(max(0, self.count - rounds), self.count) % max(1, len(self.rows))]
            self.sums[rounds] = rows.sum(axis=0)
        return self.sums[rounds], self.count >= rounds


def longest_window(conditions) -> int:
    """The most rounds back any window condition among ``conditions`` looks (0 where none does)."""
    def walk(c) -> int:
        if c.kind in _WINDOWS:
            return int(c.arg["rounds"])
        if c.kind in ("all", "any"):
            return max((walk(x) for x in c.arg), default=0)
        return walk(c.arg) if c.kind == "not" else 0
    return max((walk(c) for c in conditions), default=0)


def _nan_false(x: np.ndarray | None, runs: int) -> np.ndarray:
    return np.full(runs, np.nan) if x is None else x


def holds(cond: Condition, state: State) -> np.ndarray:
    """Where ``cond`` holds: a boolean per world, a new array the caller may change (a threshold must be
    bound first, see :func:`bind`)."""
    k, arg, n = cond.kind, cond.arg, state.runs
    if k in ("always", "never"):
        return np.full(n, k == "always")
    if k == "zopa_open_for":
        return state.open_streak >= arg
    if k == "from":
        return np.full(n, state.date >= np.datetime64(arg, "D"))
    if k in ("setbacks_at_least", "gains_at_least"):
        return (state.setbacks if k[0] == "s" else -state.setbacks) >= _value(arg)
    if k == "costs_at_least":
        return _nan_false(state.costs, n) >= _value(arg)
    if k in ("belief_at_least", "belief_at_most"):
        b = _nan_false(state.belief, n)
        return b >= _value(arg) if k.endswith("least") else b <= _value(arg)
    if k == "reservation_below_red_lines":
        return _nan_false(state.reservation, n) + _value(arg) < _nan_false(state.floor, n)
    if k in _WINDOWS:
        return _window_holds(k, arg, state)
    if k == "moved":
        return state.moved.get(arg, np.zeros(n, dtype=bool)).copy()
    if k in _PATRON:
        ((patron, level),) = arg.items()
        aid = state.aid.get(patron, np.full(n, np.nan))
        return aid >= _value(level) if k.endswith("least") else aid <= _value(level)
    if k == "failed_talks_at_least":
        return _nan_false(state.failed_talks, n) >= arg
    if k == "mediation_at_least":
        return _nan_false(state.mediation, n) >= arg
    if k in ("all", "any"):
        out = holds(arg[0], state)               # one operation a term: a reduce would stack them first
        for c in arg[1:]:
            (np.logical_and if k == "all" else np.logical_or)(out, holds(c, state), out=out)
        return out
    return ~holds(arg, state)


def _value(arg: Any):
    return arg.value if hasattr(arg, "value") and not isinstance(arg, np.ndarray) else arg


def _window_holds(k: str, arg: dict, state: State) -> np.ndarray:
    net, full = state.window(arg["rounds"])
    if not full:
        return np.zeros(state.runs, dtype=bool)
    if k == "stalemate_for":
        return np.abs(net) <= _value(arg["at_most"])
    return (net if k == "setbacks_within" else -net) >= _value(arg["at_least"])
