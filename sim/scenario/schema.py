"""The scenario schema: immutable, typed pydantic models (field-level checks only).

Cross-field checks (references between fields) live in :mod:`sim.scenario`.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, PrivateAttr, StrictInt, StrictStr,
                      Tag, field_validator, model_validator)

from ..conditions import Condition, parse_condition
from ..engine.protocols import PROTOCOLS as _REGISTRY
from .colours import parse_colour
from .params import Evidence, Param, parse_evidence, parse_number, parse_param

__all__ = [
    "PROTOCOLS", "Source", "Calendar", "Issue", "RedLine", "War", "Shift", "Trigger", "Actor",
    "Battlefield", "Front", "Patron", "Costs", "Event", "Observed", "ObservedRound", "LineRelative",
    "PartialDeal", "Relapse", "Guarantee", "Scenario",
]

PROTOCOLS = tuple(_REGISTRY)     # the names, read from the one registry of protocols

P = Annotated[Param, BeforeValidator(parse_param)]
Ev = Annotated[Evidence, BeforeValidator(parse_evidence)]
Cond = Annotated[Condition, BeforeValidator(parse_condition)]


def _ideal(raw: Any) -> Any:
    return raw if isinstance(raw, str) else parse_param(raw)


@dataclass(frozen=True)
class LineRelative:
    """A red line or an ideal written relative to the current front line: ``{line: offset}`` (the offset a
    param)."""

    offset: Param

    def describe(self) -> str:
        return f"line + {self.offset.describe()}"

    @property
    def evidence(self):
        return self.offset.evidence


def _line_relative(raw: dict) -> LineRelative:
    extra = set(map(str, raw)) - {"line", "evidence"}
    if extra:
        raise ValueError(f"found keys {sorted(extra)} beside line, expected {{line: offset}}")
    offset = parse_param(raw["line"])
    if "evidence" in raw:
        offset = replace(offset, evidence=parse_evidence(raw["evidence"]))
    return LineRelative(offset)


def _bound(raw: Any) -> Any:
    if isinstance(raw, dict) and "line" in raw:
        return _line_relative(raw)
    return None if raw is None else _ideal(raw)


def _ideal_or_line(raw: Any) -> Any:
    return _line_relative(raw) if isinstance(raw, dict) and "line" in raw else _ideal(raw)


Ideal = Annotated[Param | str | LineRelative, BeforeValidator(_ideal_or_line)]
Number = Annotated[float, BeforeValidator(parse_number)]
Colour = Annotated[str, BeforeValidator(parse_colour)]


def parse_date(raw: Any) -> dt.date:
    """A calendar date: a YAML date (``2024-01-01``) or the same text quoted; nothing else.

    Numbers (``0`` would be 1970-01-01), booleans and dates with a time of day are refused.
    """
    if isinstance(raw, dt.datetime):
        raise ValueError(f"found a date and time {raw.isoformat()!r}, expected a date YYYY-MM-DD")
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str) and len(raw) == 10 and raw[4] == raw[7] == "-":
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError(f"found {raw!r} ({exc}), expected a real calendar date YYYY-MM-DD") from None
    raise ValueError(f"found {raw!r}, expected a date YYYY-MM-DD such as 2024-01-31")


Date = Annotated[dt.date, BeforeValidator(parse_date)]
STEP_DAYS = {"day": 1, "week": 7}


def last_date(start: dt.date, step: str, rounds: int) -> dt.date | None:
    """The date of round ``rounds`` (months keep the start's day, clipped to the month's end), or
    None past 9999-12-31, the last date the calendar (and every table's date column) can hold."""
    if step in STEP_DAYS:
        ordinal = start.toordinal() + STEP_DAYS[step] * rounds
        return dt.date.fromordinal(ordinal) if ordinal <= dt.date.max.toordinal() else None
    month = start.year * 12 + start.month - 1 + rounds
    if month > dt.date.max.year * 12 + 11:
        return None
    year, month = divmod(month, 12)
    return dt.date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))

Bound = Annotated[Param | str | LineRelative | None, BeforeValidator(_bound)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Source(_Strict):
    title: str
    publisher: str | None = None
    date: Date | None = None
    url: str | None = None
    note: str | None = None


class Calendar(_Strict):
    start: Date
    step: Literal["day", "week", "month"] = "month"


class Issue(_Strict):
    range: tuple[Number, Number] | None = None
    levels: tuple[StrictStr, ...] | None = None
    description: str | None = None
    unit: str | None = None
    status_quo: float | str | None = None
    evidence: Ev | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "Issue":
        if (self.range is None) == (self.levels is None):
            raise ValueError("found both or neither of range and levels, expected exactly one")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"found range {list(self.range)}, expected [lo, hi] with lo < hi")
        if self.levels is not None:
            if len(self.levels) < 2 or len(set(self.levels)) != len(self.levels):
                raise ValueError(f"found levels {list(self.levels)}, expected two or more distinct names")
        return self

    @property
    def is_levels(self) -> bool:
        return self.levels is not None


class RedLine(_Strict):
    """A hard limit on any deal: ``{min, max}`` (a number, or a level name) or ``{allowed: [...]}``."""

    min: Bound = None
    max: Bound = None
    allowed: tuple[StrictStr, ...] | None = None
    evidence: Ev | None = None

    @model_validator(mode="after")
    def _some(self) -> "RedLine":
        if self.min is None and self.max is None and self.allowed is None:
            raise ValueError("found no limit, expected min, max or allowed")
        if self.allowed is not None and (self.min is not None or self.max is not None):
            raise ValueError("found allowed together with min/max, expected one form")
        return self


class Prior(_Strict):
    prior: P

    @field_validator("prior")
    @classmethod
    def _beta(cls, v: Param) -> Param:
        if v.kind != "beta":
            raise ValueError(f"found {v.kind}, expected a belief {{beta: [a, b]}}")
        return v


class War(_Strict):
    """Fearon (1995): fighting gives p - c, p the chance of winning, c the cost of war."""

    win_probability: P | Prior
    cost: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    evidence: Ev | None = None

    @field_validator("win_probability", mode="before")
    @classmethod
    def _p(cls, v: Any) -> Any:
        if isinstance(v, dict) and "prior" in v:
            return Prior.model_validate(v)
        return parse_param(v)


class WarReservation(_Strict):
    war: War
    evidence: Ev | None = None


def _reservation(raw: Any) -> Any:
    if isinstance(raw, dict) and "war" in raw or isinstance(raw, WarReservation):
        return raw
    return parse_param(raw)


def _reservation_kind(raw: Any) -> str:
    # Tags in brackets are dropped from error locations, so users see actors.x.reservation.war...
    return "[number]" if isinstance(raw, Param) else "[war]"


Reservation = Annotated[
    Annotated[Param, Tag("[number]")] | Annotated[WarReservation, Tag("[war]")],
    Discriminator(_reservation_kind), BeforeValidator(_reservation),
]


class Shift(_Strict):
    """Red lines that move once the actor's side has suffered ``after_setbacks`` net battle losses."""

    after_setbacks: StrictInt = Field(ge=1, le=1_000_000)
    red_lines: dict[str, RedLine]
    evidence: Ev | None = None


class Trigger(_Strict):
    """Changes to an actor's position from the round its condition ``when`` holds: one-way, or undone
    once the condition has failed ``revert_after`` rounds in a row."""

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]+$")
    when: Cond
    red_lines: dict[str, RedLine] = Field(default_factory=dict)
    reservation_shift: P | None = None
    weights: dict[str, P] = Field(default_factory=dict)
    talks: Literal["open", "closed"] | None = None
    aid: dict[str, P] = Field(default_factory=dict)
    revert_after: int | None = Field(default=None, ge=1)
    evidence: Ev | None = None

    @model_validator(mode="after")
    def _does_something(self) -> "Trigger":
        if not (self.red_lines or self.reservation_shift is not None or self.weights or self.talks or self.aid):
            raise ValueError("found a trigger that changes nothing, expected red_lines, reservation_shift, "
                             "weights, talks or aid")
        return self


class Costs(_Strict):
    """Per-round costs of war, accumulated with memory: ``C_t = memory * C_(t-1) + k_t``, where
    ``k_t = per_round * (1 + growth)^(t-1) + per_battle * battles fought``; the reservation falls by ``C_t``
    (Fearon's c, built up as the war goes on)."""

    per_round: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    per_battle: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    growth: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    memory: P = Field(default_factory=lambda: Param("fixed", (1.0,)))
    evidence: Ev | None = None


class Actor(_Strict):
    label: str | None = None
    color: Colour | None = None
    weights: dict[str, P]
    ideal: dict[str, Ideal]
    values: dict[str, dict[str, Number]] = Field(default_factory=dict)
    red_lines: dict[str, RedLine] = Field(default_factory=dict)
    reservation: Reservation
    erosion: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    discount: P = Field(default_factory=lambda: Param("fixed", (0.95,)))
    talks_when: Cond = Field(default_factory=lambda: Condition("always"))
    shifts: tuple[Shift, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    costs: Costs | None = None
    evidence: Ev | None = None

    @property
    def war(self) -> War | None:
        return self.reservation.war if isinstance(self.reservation, WarReservation) else None


class Front(_Strict):
    """A range issue tied to the battlefield: each battle side A wins moves the line ``per_battle`` towards
    ``a_wins_toward`` (each one it loses, back); red lines may be written relative to the line."""

    issue: str
    start: P
    per_battle: P
    a_wins_toward: Literal["lo", "hi"]
    evidence: Ev | None = None


class Battlefield(_Strict):
    """Battles between two sides each round (Slantchev 2003; Filson & Werner 2002)."""

    side_a: tuple[StrictStr, ...]
    side_b: tuple[StrictStr, ...]
    p_a: P
    battles_per_round: StrictInt = Field(default=1, ge=1, le=1_000_000)
    front: Front | None = None
    description: str | None = None
    evidence: Ev | None = None


class Patron(_Strict):
    """A third party whose aid moves one battlefield side's odds and costs; it may also sit at the table as an
    actor of the same id, or not. Aid is a level per round: 1 is the aid of the start date, 0 none."""

    side: Literal["a", "b"]
    aid: P = Field(default_factory=lambda: Param("fixed", (1.0,)))
    odds_elasticity: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    cost_elasticity: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    description: str | None = None
    evidence: Ev | None = None


class Event(_Strict):
    """Set parameters (dotted paths, as with ``--set``) from a date on."""

    date: Date
    set: dict[str, Any]
    observed: bool = False
    note: str | None = None
    evidence: Ev | None = None


class ObservedRound(_Strict):
    """What was observed in the round dated on or after ``date``: battles won by side A, the front line,
    patrons' aid levels."""

    date: dt.date
    a_wins: int | None = Field(default=None, ge=0)
    line: float | None = None
    aid: dict[str, float] = Field(default_factory=dict)
    note: str | None = None
    evidence: Ev | None = None


class Observed(_Strict):
    """Scripted history: every world replays these rounds up to ``until``; the model simulates after it."""

    until: dt.date
    rounds: tuple[ObservedRound, ...] = Field(min_length=1)
    description: str | None = None
    evidence: Ev | None = None


class PartialDeal(_Strict):
    """Issues that may be agreed on their own (a ceasefire, an exchange), the rest deferred at their status
    quo, and what such a deal does to the war while it holds."""

    issues: tuple[str, ...] = Field(min_length=1)
    battles: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    erosion: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    description: str | None = None
    evidence: Ev | None = None


class Guarantee(_Strict):
    """A levels issue whose agreed level scales the hazard of relapse (Walter 2002)."""

    issue: str
    factor: dict[str, float]
    evidence: Ev | None = None


class Relapse(_Strict):
    """Per-round hazard that a settlement breaks down: ``hazard * (1 + shift_elasticity * power_shift)``,
    times the guarantee's factor for the agreed level (Fearon 1995; Powell 2006; Walter 2002)."""

    hazard: P
    power_shift: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    shift_elasticity: float = Field(default=1.0, ge=0)
    guarantee: Guarantee | None = None
    evidence: Ev | None = None


class Scenario(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str
    description: str | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    calendar: Calendar
    horizon: StrictInt = Field(ge=1, le=100_000)
    protocol: Literal[PROTOCOLS] = "nash"  # type: ignore[valid-type]
    concession_step: Number = Field(default=0.25, gt=0, le=1)
    issues: dict[str, Issue] = Field(min_length=1)
    actors: dict[str, Actor] = Field(min_length=2)
    battlefield: Battlefield | None = None
    patrons: dict[str, Patron] = Field(default_factory=dict)
    events: tuple[Event, ...] = ()
    observed: Observed | None = None
    partial_deals: dict[str, PartialDeal] = Field(default_factory=dict)
    relapse: Relapse | None = None
    # Filled in by load_scenario: where it came from and a digest of its content.
    file: str = ""
    digest: str = ""
    # Also filled in by load_scenario, and kept out of the fields: the data validated (after
    # overrides) and the overrides, so results can save a scenario that needs no file to rebuild.
    _data: dict = PrivateAttr(default_factory=dict)
    _overrides: dict = PrivateAttr(default_factory=dict)

    def __repr__(self) -> str:   # one line, not every field and evidence note
        from ..display import scenario_repr
        return scenario_repr(self)

    def _repr_html_(self) -> str:
        from ..display import scenario_html
        return scenario_html(self)

    @property
    def data(self) -> dict:
        """The scenario's data as validated, overrides applied (a copy)."""
        return copy.deepcopy(self._data)

    @property
    def overrides(self) -> dict:
        """The overrides applied to the file (a copy)."""
        return copy.deepcopy(self._overrides)
