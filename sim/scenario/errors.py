"""The one exception users catch for bad scenarios."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "ScenarioError", "did_you_mean", "printable"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located by file, line and dotted key path."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return printable(f"{where}: {self.path or '<top>'}: {self.message}")


def printable(text: str) -> str:
    """Escape control characters (a key may hold a newline), so each problem stays on one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class ScenarioError(ValueError):
    """A scenario failed validation; ``problems`` lists every problem found at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: Any, options: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or nothing."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
