"""Numbers that may be uncertain: a point value or a distribution sampled once per world."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Evidence", "Param", "parse_param", "parse_evidence", "parse_number", "DISTRIBUTIONS", "MAX_MAGNITUDE"]

# name -> number of arguments (None: a non-empty list of any length)
DISTRIBUTIONS: dict[str, int | None] = {
    "uniform": 2,
    "normal": 2,
    "triangular": 3,
    "beta": 2,
    "choice": None,
}
_SHAPES = "a number, {value: x}, {uniform: [lo, hi]}, {normal: [mean, sd]}, " \
          "{triangular: [lo, mode, hi]}, {beta: [a, b]} or {choice: [...]}"


@dataclass(frozen=True)
class Evidence:
    """Where a number comes from: a source id and a quote, and/or a note."""

    source: str | None = None
    quote: str | None = None
    note: str | None = None

    def describe(self) -> str:
        parts = []
        if self.source:
            parts.append(f"[{self.source}]")
        if self.quote:
            parts.append(f'"{self.quote}"')
        if self.note:
            parts.append(self.note)
        return " ".join(parts)


def parse_evidence(raw: Any) -> Evidence:
    if isinstance(raw, str):
        return Evidence(note=raw)
    if not isinstance(raw, dict):
        raise ValueError(f"found {raw!r}, expected {{source: id, quote: '...'}} or {{note: '...'}}")
    unknown = set(raw) - {"source", "quote", "note"}
    if unknown:
        key = sorted(map(str, unknown))[0]
        close = difflib.get_close_matches(key, ["source", "quote", "note"], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"found key {key!r}, expected source, quote or note{hint}")
    if not any(raw.get(k) for k in ("source", "quote", "note")):
        raise ValueError("found empty evidence, expected a source with a quote, or a note")
    if raw.get("quote") and not raw.get("source"):
        raise ValueError("found a quote without a source, expected source: <id of an entry in sources>")
    return Evidence(**{k: str(v) for k, v in raw.items() if v is not None})


# Larger numbers overflow once summed, normalised or subtracted (1e308 + 1e308 is inf); a range in
# dollars of a world economy is about 1e14.
MAX_MAGNITUDE = 1e15


def _number(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"found {x!r}, expected a finite number")
    if abs(x) > MAX_MAGNITUDE:   # before float(x): an integer of 400 digits is no float at all
        shown = repr(x) if len(repr(x)) < 30 else repr(x)[:12] + f"...({len(repr(x))} digits)"
        raise ValueError(f"found {shown}, expected a number between {-MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g} "
                         "(larger ones overflow once summed; measure in a larger unit)")
    return float(x)


@dataclass(frozen=True)
class Param:
    """A fixed number or a distribution; ``sample`` draws one value per world."""

    kind: str
    args: tuple
    evidence: Evidence | None = None

    @property
    def fixed(self) -> bool:
        return self.kind == "fixed"

    @property
    def value(self) -> float:
        """The point value (fixed) or the distribution's mean."""
        a = self.args
        if self.kind == "fixed":
            return a[0]
        if self.kind == "uniform":
            return (a[0] + a[1]) / 2
        if self.kind == "normal":
            return a[0]
        if self.kind == "triangular":
            return sum(a) / 3
        if self.kind == "beta":
            return a[0] / (a[0] + a[1])
        return float(np.mean(a))

    def bounds(self) -> tuple[float, float]:
        """Smallest and largest value a draw can take."""
        a = self.args
        if self.kind in ("fixed",):
            return a[0], a[0]
        if self.kind == "uniform":
            return a[0], a[1]
        if self.kind == "normal":
            return -math.inf, math.inf
        if self.kind == "triangular":
            return a[0], a[2]
        if self.kind == "beta":
            return 0.0, 1.0
        return min(a), max(a)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        a = self.args
        if self.kind == "fixed":
            return np.full(size, a[0])
        if self.kind == "uniform":
            return rng.uniform(a[0], a[1], size)
        if self.kind == "normal":
            return rng.normal(a[0], a[1], size)
        if self.kind == "triangular":
            if a[0] == a[2]:
                return np.full(size, a[0])
            return rng.triangular(a[0], a[1], a[2], size)
        if self.kind == "beta":
            return rng.beta(a[0], a[1], size)
        return rng.choice(np.asarray(a, dtype=float), size)

    def describe(self) -> str:
        if self.kind == "fixed":
            return f"{self.args[0]:g}"
        return f"{self.kind}({', '.join(f'{x:g}' for x in self.args)})"


def _check_args(kind: str, args: Any) -> tuple:
    if not isinstance(args, (list, tuple)):
        raise ValueError(f"found {kind}: {args!r}, expected a list of numbers")
    n = DISTRIBUTIONS[kind]
    if (n is None and not args) or (n is not None and len(args) != n):
        raise ValueError(f"found {kind} with {len(args)} arguments, expected "
                         f"{n if n is not None else 'at least one'}")
    vals = tuple(_number(x) for x in args)
    if kind == "uniform" and not vals[0] <= vals[1]:
        raise ValueError(f"found uniform: {list(vals)}, expected lo <= hi")
    if kind == "normal" and vals[1] < 0:
        raise ValueError(f"found normal sd {vals[1]}, expected sd >= 0")
    if kind == "triangular" and not vals[0] <= vals[1] <= vals[2]:
        raise ValueError(f"found triangular: {list(vals)}, expected lo <= mode <= hi")
    if kind == "beta" and not (vals[0] > 0 and vals[1] > 0):
        raise ValueError(f"found beta: {list(vals)}, expected a > 0 and b > 0")
    return vals


def _hint(keys: set) -> str:
    known = ["value", "evidence", *DISTRIBUTIONS]
    for key in sorted(map(str, keys)):
        if key not in known and (close := difflib.get_close_matches(key, known, n=1)):
            return f" (did you mean {close[0]!r}?)"
    return ""


def parse_number(raw: Any) -> float:
    """A plain number: finite, not a boolean, not text, at most ``MAX_MAGNITUDE`` in size."""
    return _number(raw)


def parse_param(raw: Any) -> Param:
    """Parse a number, ``{value: x}`` or a one-key distribution, each with optional ``evidence``."""
    if isinstance(raw, Param):
        return raw
    if not isinstance(raw, dict):
        return Param("fixed", (_number(raw),))
    keys = set(raw) - {"evidence"}
    evidence = parse_evidence(raw["evidence"]) if "evidence" in raw else None
    if len(keys) != 1:
        raise ValueError(f"found keys {sorted(map(str, keys))}, expected {_SHAPES}{_hint(keys)}")
    (kind,) = keys
    if kind == "value":
        return Param("fixed", (_number(raw[kind]),), evidence)
    if kind not in DISTRIBUTIONS:
        raise ValueError(f"found {kind!r}, expected {_SHAPES}{_hint(keys)}")
    return Param(kind, _check_args(kind, raw[kind]), evidence)
