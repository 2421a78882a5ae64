"""A small language for the outcome a scenario-discovery question is about, and which columns are inputs.

``"deal by 2026-03-05"``, ``"no zopa by 2025-12-31"``, ``"talks by 2026-01-01"``, ``"agreed"``,
``"not agreed"``, ``"p_deal >= 0.5"``: each is turned into one boolean per row of a table.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Callable

# numpy and pandas are imported where they are used: ``zopa --help`` reads OUTCOME_HELP and should not
# wait for them.

__all__ = ["Outcome", "parse_outcome", "input_columns", "OUTCOME_HELP"]

OUTCOME_HELP = ("'deal by YYYY-MM-DD', 'zopa by DATE', 'talks by DATE' (each may start with 'no'), "
                "a boolean column ('agreed', 'not agreed') or 'COLUMN >= NUMBER' (also <=, >, <)")

_EVENTS = {"deal": "agreement", "zopa": "zopa", "talks": "talks"}
_BY = re.compile(r"^(no\s+)?(deal|zopa|talks)\s+by\s+(\S+)$", re.IGNORECASE)
_COMPARE = re.compile(r"^(.+?)\s*(>=|<=|>|<)\s*(\S+)$")
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}

# Columns of Results.outcomes (and Sweep.runs / Sweep.points) that are results, not sampled inputs.


@dataclass(frozen=True)
class Outcome:
    """An outcome: its text as the user wrote it, and the rule that marks the rows where it holds."""

    text: str
    rule: Callable[[pd.DataFrame], np.ndarray]
    columns: tuple[str, ...]

    def __call__(self, table: pd.DataFrame) -> np.ndarray:
        import numpy as np

        missing = [c for c in self.columns if c not in table.columns]
        if missing:
            raise ValueError(f"outcome {self.text!r}: found no column {', '.join(missing)}, expected one of "
                             f"{', '.join(map(str, table.columns))}")
        return np.asarray(self.rule(table), dtype=bool)


def _date(text: str, outcome: str) -> pd.Timestamp:
    import pandas as pd

    try:
        return pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"outcome {outcome!r}: found date {text!r}, expected YYYY-MM-DD") from None


def _by(match: re.Match, text: str) -> Outcome:
    negate, event, when = bool(match.group(1)), match.group(2).lower(), _date(match.group(3), text)
    column = f"{_EVENTS[event]}_date"

    def rule(table: pd.DataFrame) -> np.ndarray:
        import pandas as pd

        dates = pd.to_datetime(table[column])
        held = (dates.notna() & (dates <= when)).to_numpy()
        return ~held if negate else held
    return Outcome(text, rule, (column,))


def _number(text: str, outcome: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"outcome {outcome!r}: found {text!r}, expected a number") from None


def _compare(match: re.Match, text: str) -> Outcome:
    column, op, value = match.group(1).strip(), _OPS[match.group(2)], _number(match.group(3), text)

    def rule(table: pd.DataFrame) -> np.ndarray:
        import pandas as pd

        return op(pd.to_numeric(table[column]).to_numpy(dtype=float), value)
    return Outcome(text, rule, (column,))


def _boolean(text: str) -> Outcome:
    negate = text.lower().startswith("not ")
    column = text[4:].strip() if negate else text

    def rule(table: pd.DataFrame) -> np.ndarray:
        import pandas as pd

        values = table[column]
        if not pd.api.types.is_bool_dtype(values):
            raise ValueError(f"outcome {text!r}: found column {column} of type {values.dtype}, expected a "
                             f"boolean column, or {OUTCOME_HELP}")
        held = values.fillna(False).to_numpy(dtype=bool)
        return ~held if negate else held
    return Outcome(text, rule, (column,))


def parse_outcome(text: str) -> Outcome:
    """Read an outcome written in the small language of :data:`OUTCOME_HELP`.

    ``deal by DATE`` holds in a world whose deal was struck on or before DATE (``zopa`` and ``talks``
    likewise, with the date the ZOPA or the talks first opened); ``no deal by DATE`` is its complement.
    """
    text = " ".join(str(text).split())
    if not text:
        raise ValueError(f"outcome: found nothing, expected {OUTCOME_HELP}")
    if match := _BY.match(text):
        return _by(match, text)
    if match := _COMPARE.match(text):
        return _compare(match, text)
    if re.search(r"\sby\s", text):
        raise ValueError(f"outcome {text!r}: found an unknown event, expected {OUTCOME_HELP}")
    return _boolean(text)


def is_input(column: str) -> bool:
    """Whether a column of zopa's tables is an input: the naming rule is that inputs, and only inputs, are
    named by their scenario path (``actors.x.erosion``, ``battlefield.p_a``, ``events.0.set...``, a varied
    top-level key such as ``horizon``), the same path ``--set`` takes."""
    from ..sim.scenario.schema import Scenario

    head = column.split(".", 1)[0]
    return head in Scenario.model_fields and head not in ("file", "digest", "name", "title", "description")


def is_output(column: str) -> bool:
    """Whether a column of zopa's tables is a result (a round, a date, terms...) rather than an input."""
    return not is_input(column)


def input_columns(table: pd.DataFrame) -> list[str]:
    """The input columns of a zopa table: the sampled or varied parameters, named by their dotted path."""
    return [c for c in table.columns if not is_output(str(c))]
