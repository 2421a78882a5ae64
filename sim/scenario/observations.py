"""Dated observations of what happened, read and checked like scenarios (line-numbered problems).

An observation file lists yes/no events by a date, dates of first events (censored at a date when
they have not happened) and quantities at a date, each with its source and quote, and says which model
output each one reads (``reads``): a column of the per-world table (``agreement_round``,
``terms.territory``) or, after ``history.``, a column of the per-round table (``history.talks``). Names
are not fixed here, so a column the model gains later is read without changing this module; whether it
exists is checked against the results (:func:`column_problem`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .errors import Problem, ScenarioError, did_you_mean
from .messages import line_of, pydantic_problems
from .params import Evidence, parse_evidence
from .schema import Source
from .yamlsource import LineMap, read_yaml

__all__ = ["Observation", "Observations", "BaseRate", "load_observations", "observation_problem",
           "column_problem", "HISTORY", "KINDS"]

HISTORY = "history."
KINDS = ("event", "date", "quantity")
_READS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_.-]+)?$")

Ev = Annotated[Evidence, BeforeValidator(parse_evidence)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              populate_by_name=True)


class BaseRate(_Strict):
    """A historical frequency used as a reference forecast (e.g. 16% of wars ended in a peace agreement)."""

    probability: float = Field(ge=0, le=1)
    of: str
    evidence: Ev


class Where(_Strict):
    """Turns a value into yes/no: ``above``/``below`` (strict) or ``equals``."""

    above: float | None = None
    below: float | None = None
    equals: float | str | bool | None = None

    @model_validator(mode="after")
    def _one(self) -> "Where":
        if sum(v is not None for v in (self.above, self.below, self.equals)) == 0:
            raise ValueError("found no test, expected above, below or equals")
        if self.equals is not None and (self.above is not None or self.below is not None):
            raise ValueError("found equals with above/below, expected one form")
        return self


class Observation(_Strict):
    """One dated fact and the model output it reads.

    ``kind: event`` -- did it happen by ``by`` (and on or after ``from``)? ``observed`` is true or false.
    An event or a quantity with ``observed: null`` is pending: forecast now, scored when known.
    ``kind: date`` -- when did it first happen? ``observed`` is a date, or null when it had not happened
    by ``censored_at`` (always given: the last date the record was checked).
    ``kind: quantity`` -- a number ``at`` a date; ``tolerance`` is how close a world must come to count
    as matching it in calibration.
    """

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal[KINDS]  # type: ignore[valid-type]
    question: str
    reads: str
    observed: bool | dt.date | float | None
    evidence: Ev
    by: dt.date | None = None
    from_: dt.date | None = Field(default=None, alias="from")
    at: dt.date | None = None
    censored_at: dt.date | None = None
    where: Where | None = None
    tolerance: float | None = Field(default=None, gt=0)
    persistence: bool | float | None = None
    base_rate: str | None = None
    note: str | None = None

    @property
    def history(self) -> bool:
        return self.reads.startswith(HISTORY)

    @property
    def column(self) -> str:
        return self.reads[len(HISTORY):] if self.history else self.reads

    @property
    def pending(self) -> bool:
        """A forecast recorded now and scored when the answer is known (``observed: null``, not a date)."""
        return self.observed is None and self.kind != "date"

    @property
    def when(self) -> dt.date:
        """The date by which the observation was known (used to split fitting from held-out)."""
        if self.kind == "event":
            return self.by
        if self.kind == "date":
            return self.observed if isinstance(self.observed, dt.date) else self.censored_at
        return self.at


def _kind_problem(o: Observation) -> tuple[str, str] | None:
    """The key and message of the first field that does not fit the observation's kind."""
    if not _READS.match(o.reads) or o.reads == "history" or o.reads.endswith("."):
        return "reads", (f"found {o.reads!r}, expected a column name such as agreement_round, "
                         "terms.territory or history.talks")
    return {"event": _event_problem, "date": _date_problem, "quantity": _quantity_problem}[o.kind](o)


def _event_problem(o: Observation) -> tuple[str, str] | None:
    if o.observed is not None and not isinstance(o.observed, bool):
        return "observed", f"found {o.observed!r}, expected true or false for an event (null: not known yet)"
    if o.by is None:
        return "by", "found nothing, expected the date by which the event did or did not happen"
    if o.from_ is not None and o.from_ > o.by:
        return "from", f"found {o.from_}, after by {o.by}, expected a date on or before it"
    for key in ("at", "censored_at", "tolerance"):
        if getattr(o, key) is not None:
            return key, f"found {key} on an event, expected by (and from)"
    if isinstance(o.persistence, float):
        return "persistence", f"found {o.persistence!r}, expected true or false for an event"
    return None


def _date_problem(o: Observation) -> tuple[str, str] | None:
    if o.observed is not None and (isinstance(o.observed, bool) or not isinstance(o.observed, dt.date)):
        return "observed", f"found {o.observed!r}, expected a date, or null if it had not happened"
    if o.censored_at is None:
        return "censored_at", "found nothing, expected the last date the record was checked"
    if o.observed is not None and o.observed > o.censored_at:
        return "observed", (f"found {o.observed}, after censored_at {o.censored_at}, expected a date on or "
                            "before it")
    for key in ("by", "at", "where", "persistence", "tolerance"):
        if getattr(o, key) is not None:
            return key, f"found {key} on a date, expected observed, censored_at (and from)"
    return None


def _quantity_problem(o: Observation) -> tuple[str, str] | None:
    number = isinstance(o.observed, (int, float)) and not isinstance(o.observed, bool)
    if o.observed is not None and not number:
        return "observed", f"found {o.observed!r}, expected a number for a quantity (null: not known yet)"
    if o.history and o.at is None:
        return "at", "found nothing, expected the date of the value read from the history"
    for key in ("by", "censored_at", "where", "from_", "base_rate"):
        if getattr(o, key) is not None:
            return key.rstrip("_"), f"found {key.rstrip('_')} on a quantity, expected at"
    if isinstance(o.persistence, bool):
        return "persistence", f"found {o.persistence!r}, expected a number for a quantity"
    return None


class Observations(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str
    description: str | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    base_rates: dict[str, BaseRate] = Field(default_factory=dict)
    observations: tuple[Observation, ...] = Field(min_length=1)
    file: str = ""
    lines: dict = Field(default_factory=dict, exclude=True)

    def problem(self, index: int, key: str, message: str) -> Problem:
        """A problem located at ``observations.<index>.<key>`` of this file."""
        loc = ("observations", index, key)
        return Problem(self.file, line_of(self.lines, loc), ".".join(map(str, loc)), message)


def _references(obs: Observations) -> list[tuple[tuple, str]]:
    found = []
    for i, o in enumerate(obs.observations):
        if (kind := _kind_problem(o)) is not None:
            found.append((("observations", i, kind[0]), kind[1]))
        if o.evidence.source is not None and o.evidence.source not in obs.sources:
            found.append(((("observations", i, "evidence", "source")),
                          f"found source {o.evidence.source!r}, expected an id under sources"
                          f"{did_you_mean(o.evidence.source, obs.sources)}"))
        if o.base_rate is not None and o.base_rate not in obs.base_rates:
            found.append((("observations", i, "base_rate"),
                          f"found base rate {o.base_rate!r}, expected one of "
                          f"{', '.join(obs.base_rates) or '(none)'}"
                          f"{did_you_mean(o.base_rate, obs.base_rates)}"))
    for name, rate in obs.base_rates.items():
        if rate.evidence.source is not None and rate.evidence.source not in obs.sources:
            found.append((("base_rates", name, "evidence", "source"),
                          f"found source {rate.evidence.source!r}, expected an id under sources"))
    ids = [o.id for o in obs.observations]
    found += [(("observations", i, "id"), f"found id {o.id!r} twice, expected each id once")
              for i, o in enumerate(obs.observations) if ids.index(o.id) != i]
    return found


def load_observations(path: str) -> Observations:
    """Read and validate an observation file.

    Raises
    ------
    ScenarioError
        Every problem at once, each as ``file:line: dotted.path: found ..., expected ...``.
    """
    file = str(path)
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(file, 1, "", f"found {type(data).__name__}, expected a mapping of keys")])
    for reserved in ("file", "lines"):
        if reserved in data:
            raise ScenarioError([Problem(file, lines.get((reserved,)), reserved,
                                         "found a reserved key, expected observation keys only")])
    try:
        obs = Observations.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ScenarioError(_located(pydantic_problems(exc, file, lines, data), lines, data)) from None
    problems = [Problem(file, line_of(lines, loc), ".".join(map(str, loc)), msg) for loc, msg in _references(obs)]
    if problems:
        raise ScenarioError(problems)
    return obs.model_copy(update={"file": file, "lines": lines})


def _located(problems: list[Problem], lines: LineMap, data: Any) -> list[Problem]:
    """Pydantic names the scenario's models in 'did you mean' hints; observations have their own keys."""
    out = []
    inner = any(p.path.startswith("observations.") for p in problems)
    for p in problems:
        if inner and p.path == "observations" and "at least 1 item" in p.message:
            continue   # pydantic's echo of an invalid item: the item's own problem says it
        if "found unknown key" in p.message:
            keys = _keys_at(p.path)
            word = p.path.rsplit(".", 1)[-1]
            message = f"found unknown key {word!r}, expected one of {', '.join(keys)}{did_you_mean(word, keys)}"
            p = Problem(p.file, p.line, p.path, message)
        out.append(p)
    return out


def _keys_at(path: str) -> list[str]:
    parts = path.split(".")
    if parts[0] == "observations" and len(parts) >= 3:
        model: type[BaseModel] = Where if len(parts) >= 4 and parts[2] == "where" else Observation
    elif parts[0] == "base_rates" and len(parts) >= 3:
        model = BaseRate
    elif parts[0] == "sources" and len(parts) >= 3:
        model = Source
    else:
        model = Observations
    return [f.alias or name for name, f in model.model_fields.items() if name not in ("file", "lines")]


def observation_problem(obs: Observations, index: int, key: str, message: str) -> ScenarioError:
    """A :class:`ScenarioError` for one observation, e.g. when results cannot answer it."""
    return ScenarioError([obs.problem(index, key, message)])


def column_problem(obs: Observations, index: int, columns: list[str]) -> ScenarioError | None:
    """Problem when observation ``index`` reads a column the results do not have (None if it does)."""
    o = obs.observations[index]
    if o.column in columns:
        return None
    table = "history" if o.history else "outcomes"
    names = [HISTORY + c if o.history else c for c in columns]
    return observation_problem(obs, index, "reads", f"found column {o.reads!r}, expected a column of the "
                               f"model's {table}: {', '.join(names)}{did_you_mean(o.reads, names)}")
