"""Preconditions for talks (``talks_when``): the condition language, parsed and evaluated here.

A new condition kind is added in this module only: its key in :data:`CONDITION_KEYS`, its parsing in
:func:`parse_condition` and its meaning in :func:`holds`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Condition", "parse_condition", "holds", "State", "CONDITION_KEYS"]

CONDITION_KEYS = ("zopa_open_for", "from", "setbacks_at_least", "failed_talks_at_least", "mediation_at_least",
                  "all", "any", "not")


@dataclass(frozen=True)
class Condition:
    """``kind`` is always, never, or a key of CONDITION_KEYS; ``arg`` its argument."""

    kind: str
    arg: Any = None

    def describe(self) -> str:
        if self.kind in ("always", "never"):
            return self.kind
        if self.kind in ("all", "any"):
            return f"{self.kind}(" + ", ".join(c.describe() for c in self.arg) + ")"
        if self.kind == "not":
            return f"not({self.arg.describe()})"
        return f"{self.kind}: {self.arg}"


def _count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"found {key}: {value!r}, expected a whole number >= 0")
    return value


def parse_condition(raw: Any) -> Condition:
    """Parse ``always | never | {zopa_open_for: k} | {from: date} | {setbacks_at_least: k}
    | {failed_talks_at_least: k} | {mediation_at_least: x} | {all: [...]} | {any: [...]} | {not: cond}``."""
    if isinstance(raw, Condition):
        return raw
    if raw in ("always", "never"):
        return Condition(raw)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError(f"found {raw!r}, expected always, never, or one of "
                         + ", ".join(f"{{{k}: ...}}" for k in CONDITION_KEYS))
    ((key, value),) = raw.items()
    if key in ("zopa_open_for", "setbacks_at_least", "failed_talks_at_least"):
        return Condition(key, _count(key, value))
    if key == "mediation_at_least":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"found mediation_at_least: {value!r}, expected a number in [0, 1]")
        return Condition(key, float(value))
    if key == "from":
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


@dataclass(frozen=True)
class State:
    """What a condition can see in a round, for one actor in every world."""

    runs: int
    date: np.datetime64       # the round's calendar date
    open_streak: np.ndarray   # (W,) rounds the zone has been open in a row
    setbacks: np.ndarray      # (W,) net battles lost by the actor's side
    failed_talks: np.ndarray | None = None   # (W,) rounds of talks held without a deal so far
    mediation: np.ndarray | None = None      # (W,) a mediator's or patron's pressure for talks, 0 to 1


def holds(cond: Condition, state: State) -> np.ndarray:
    """Where ``cond`` holds: a boolean per world."""
    k, arg = cond.kind, cond.arg
    if k in ("always", "never"):
        return np.full(state.runs, k == "always")
    if k == "zopa_open_for":
        return state.open_streak >= arg
    if k == "from":
        return np.full(state.runs, state.date >= np.datetime64(arg, "D"))
    if k == "setbacks_at_least":
        return state.setbacks >= arg
    if k == "failed_talks_at_least":
        return state.failed_talks >= arg
    if k == "mediation_at_least":
        return state.mediation >= arg
    if k == "all":
        return np.logical_and.reduce([holds(c, state) for c in arg])
    if k == "any":
        return np.logical_or.reduce([holds(c, state) for c in arg])
    return ~holds(arg, state)
