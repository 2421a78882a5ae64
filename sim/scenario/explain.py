"""``zopa explain``: every parameter with its value (or distribution) and its evidence, then every event
with its date, what it sets and the evidence for it."""

from __future__ import annotations

from typing import Any, Iterator

from pydantic import BaseModel

from .params import Evidence, Param, parse_param
from .schema import Event, LineRelative, Scenario

__all__ = ["explain", "parameters", "scripted"]

_DEFAULT = Evidence(note="default value")


def _fmt(value: Any) -> str:
    if isinstance(value, Param):
        return value.describe()
    if hasattr(value, "describe"):
        return value.describe()
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def parameters(obj: Any, path: str = "") -> Iterator[tuple[str, str, Evidence | None]]:
    """Yield (dotted path, value, evidence) for every leaf parameter, inheriting the nearest evidence."""
    if isinstance(obj, (Param, LineRelative)):
        yield path, obj.describe(), obj.evidence
        return
    if isinstance(obj, BaseModel):
        own = getattr(obj, "evidence", None)
        for name in type(obj).model_fields:
            if name in ("evidence", "file", "digest", "sources", "description", "title", "label", "color", "note"):
                continue
            value = getattr(obj, name)
            if value is None or value == () or value == {}:
                continue
            if name not in obj.model_fields_set:
                yield f"{path}.{name}" if path else name, f"{_fmt(value)} (default)", _DEFAULT
                continue
            for p, v, ev in parameters(value, f"{path}.{name}" if path else name):
                yield p, v, ev if ev is not None else own
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from parameters(v, f"{path}.{k}")
        return
    if isinstance(obj, tuple) and obj and isinstance(obj[0], BaseModel):
        for i, v in enumerate(obj):
            yield from parameters(v, f"{path}.{i}")
        return
    yield path, _fmt(obj), None


def explain(scenario: Scenario) -> str:
    """A plain-text listing a reader can trace to the sources; unsupported numbers are flagged."""
    lines = [f"{scenario.title}  ({scenario.name})", f"file: {scenario.file}", ""]
    if scenario.sources:
        lines.append("Sources:")
        for sid, src in scenario.sources.items():
            meta = ", ".join(str(x) for x in (src.publisher, src.date, src.url) if x)
            lines.append(f"  [{sid}] {src.title}" + (f" ({meta})" if meta else ""))
        lines.append("")
    rows = [(p, v, ev) for p, v, ev in parameters(scenario)
            if not p.startswith(("name", "calendar", "horizon", "protocol", "concession_step", "events"))
            and not p.endswith((".description", ".unit"))
            and not (p.endswith(".observed") and v.startswith("False"))]
    missing = late = 0
    lines.append("Parameters:")
    for path, value, ev in rows:
        if ev is None:
            missing += 1
        lines.append(f"  {path} = {value}")
        lines.append(f"      evidence: {_evidence(scenario, ev)}")
        if (flag := _late(scenario, path, ev)) is not None:
            late += 1
            lines.append(f"      ! {flag}")
    events = [_event_lines(scenario, i, e) for i, e in enumerate(scenario.events)]
    if events:
        lines += ["", "Events (from their date on, every world; observed ones are scripted history):"]
        lines += [line for block in events for line in block]
    bare = sum(e.evidence is None for e in scenario.events)
    late += sum(line.lstrip().startswith("! ") for block in events for line in block)
    lines += ["", f"{_count(len(rows), 'parameter')}, {missing} without evidence; "
                  f"{_count(len(events), 'event')}, {bare} without evidence; {late} resting on a source dated "
                  f"after the start ({scenario.calendar.start}) outside scripted history."]
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _event_lines(scenario: Scenario, index: int, event: Event) -> list[str]:
    """One event: its date (and whether it is observed history), its note, what it sets, its evidence."""
    head = f"  events.{index}: on {event.date}" + (" (observed)" if event.observed else "")
    lines = [head + (f": {event.note}" if event.note else "")]
    for key, raw in event.set.items():
        value, own = _set_value(raw)
        lines.append(f"      sets {key} = {value}")
        if own is not None:
            lines.append(f"          evidence: {_evidence(scenario, own)}")
            if (flag := _late(scenario, f"events.{index}", own)) is not None:
                lines.append(f"          ! {flag}")
    lines.append(f"      evidence: {_evidence(scenario, event.evidence)}")
    if (flag := _late(scenario, f"events.{index}", event.evidence)) is not None:
        lines.append(f"      ! {flag}")
    return lines


def _set_value(raw: Any) -> tuple[str, Evidence | None]:
    """A value an event sets, as a parameter reads (``uniform(0.05, 0.2)``), with its own evidence if any;
    values that are not numbers (a list of levels, a condition) as written."""
    try:
        param = parse_param(raw)
    except (ValueError, TypeError):
        return _fmt(raw), None
    return param.describe(), param.evidence


def _evidence(scenario: Scenario, ev: Evidence | None) -> str:
    """The evidence, with the date of its source."""
    if ev is None:
        return "NONE (no evidence given)"
    src = scenario.sources.get(ev.source) if ev.source else None
    return ev.describe().strip() + (f" (source dated {src.date})" if src is not None and src.date else "")


def scripted(scenario: Scenario, path: str) -> bool:
    """Whether a parameter belongs to scripted history: under ``observed`` or an event marked observed."""
    parts = path.split(".")
    if parts[0] == "observed":
        return True
    return parts[0] == "events" and len(parts) > 1 and parts[1].isdigit() \
        and scenario.events[int(parts[1])].observed


def _late(scenario: Scenario, path: str, ev: Evidence | None) -> str | None:
    """A flag when a parameter rests on a source dated after the scenario's start, outside scripted history."""
    src = scenario.sources.get(ev.source) if ev is not None and ev.source else None
    if src is None or src.date is None or src.date <= scenario.calendar.start or scripted(scenario, path):
        return None
    return f"source [{ev.source}] dated {src.date}, after the start {scenario.calendar.start}: not scripted history"
