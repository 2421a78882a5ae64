"""The scenario schema: immutable, typed pydantic models (field-level checks only).

Cross-field checks (references between fields) live in :mod:`sim.scenario`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from ..conditions import Condition, parse_condition
from ..engine.protocols import PROTOCOLS as _REGISTRY
from .params import Evidence, Param, parse_evidence, parse_param

__all__ = [
    "PROTOCOLS", "Source", "Calendar", "Issue", "RedLine", "War", "Shift", "Actor",
    "Battlefield", "Event", "Scenario",
]

PROTOCOLS = tuple(_REGISTRY)     # the names, read from the one registry of protocols

P = Annotated[Param, BeforeValidator(parse_param)]
Ev = Annotated[Evidence, BeforeValidator(parse_evidence)]
Cond = Annotated[Condition, BeforeValidator(parse_condition)]


def _ideal(raw: Any) -> Any:
    return raw if isinstance(raw, str) else parse_param(raw)


def _bound(raw: Any) -> Any:
    return None if raw is None else _ideal(raw)


Ideal = Annotated[Param | str, BeforeValidator(_ideal)]
Bound = Annotated[Param | str | None, BeforeValidator(_bound)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Source(_Strict):
    title: str
    publisher: str | None = None
    date: dt.date | None = None
    url: str | None = None
    note: str | None = None


class Calendar(_Strict):
    start: dt.date
    step: Literal["day", "week", "month"] = "month"


class Issue(_Strict):
    range: tuple[float, float] | None = None
    levels: tuple[str, ...] | None = None
    description: str | None = None
    unit: str | None = None
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
    allowed: tuple[str, ...] | None = None
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

    after_setbacks: int = Field(ge=1)
    red_lines: dict[str, RedLine]
    evidence: Ev | None = None


class Actor(_Strict):
    label: str | None = None
    color: str | None = None
    weights: dict[str, P]
    ideal: dict[str, Ideal]
    values: dict[str, dict[str, float]] = Field(default_factory=dict)
    red_lines: dict[str, RedLine] = Field(default_factory=dict)
    reservation: Reservation
    erosion: P = Field(default_factory=lambda: Param("fixed", (0.0,)))
    discount: P = Field(default_factory=lambda: Param("fixed", (0.95,)))
    talks_when: Cond = Field(default_factory=lambda: Condition("always"))
    shifts: tuple[Shift, ...] = ()
    evidence: Ev | None = None

    @property
    def war(self) -> War | None:
        return self.reservation.war if isinstance(self.reservation, WarReservation) else None


class Battlefield(_Strict):
    """Battles between two sides each round (Slantchev 2003; Filson & Werner 2002)."""

    side_a: tuple[str, ...]
    side_b: tuple[str, ...]
    p_a: P
    battles_per_round: int = Field(default=1, ge=1)
    description: str | None = None
    evidence: Ev | None = None


class Event(_Strict):
    """Set parameters (dotted paths, as with ``--set``) from a date on."""

    date: dt.date
    set: dict[str, Any]
    note: str | None = None
    evidence: Ev | None = None


class Scenario(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str
    description: str | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    calendar: Calendar
    horizon: int = Field(ge=1, le=100_000)
    protocol: Literal[PROTOCOLS] = "nash"  # type: ignore[valid-type]
    concession_step: float = Field(default=0.25, gt=0, le=1)
    issues: dict[str, Issue] = Field(min_length=1)
    actors: dict[str, Actor] = Field(min_length=2)
    battlefield: Battlefield | None = None
    events: tuple[Event, ...] = ()
    # Filled in by load_scenario: where it came from and a digest of its content.
    file: str = ""
    digest: str = ""
