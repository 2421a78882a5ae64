"""No hindsight: a scenario's positions and beliefs may cite only sources dated on or before its start.

Later facts may enter only as scripted history: the ``events`` section (what happened, on its date)
and the ``observed`` path (battles, front line and aid replayed round by round).
:func:`hindsight` lists every other piece of evidence that cites a source dated after the calendar's
start; ``zopa validate`` prints them as warnings, ``zopa validate --strict`` as errors.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator

from pydantic import BaseModel

from .errors import Problem, ScenarioError
from .messages import line_of
from .params import Evidence, Param
from .schema import Scenario
from .yamlsource import read_yaml

__all__ = ["hindsight", "SCRIPTED"]

# Top-level sections that script history: facts dated after the start belong here (``observed`` replays
# the observed battles, line and aid; the scenario-format page promises it is not flagged).
SCRIPTED = ("events", "history", "script", "observed")


def _evidence(node: Any, path: tuple) -> Iterator[tuple[tuple, Evidence]]:
    if isinstance(node, Evidence):
        yield path, node
    elif isinstance(node, Param):
        if node.evidence is not None:
            yield path + ("evidence",), node.evidence
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _evidence(getattr(node, name), path + (name,))
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            yield from _evidence(getattr(node, f.name), path + (f.name,))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _evidence(value, path + (key,))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _evidence(value, path + (i,))


def hindsight(scenario: Scenario) -> list[Problem]:
    """Evidence outside scripted history that cites a source dated after ``calendar.start``.

    Each problem reads ``file:line: path: found source 'x' dated D, after the start S, expected ...``.
    """
    start = scenario.calendar.start
    try:
        lines = read_yaml(scenario.file)[1] if scenario.file else {}
    except ScenarioError:   # the file moved since it was loaded: report without lines
        lines = {}
    problems = []
    for path, ev in _evidence(scenario, ()):
        if path[0] in SCRIPTED or ev.source is None or ev.source not in scenario.sources:
            continue
        date = scenario.sources[ev.source].date
        if date is not None and date > start:
            where = path[:-1] if path[-1] == "evidence" else path
            problems.append(Problem(scenario.file, line_of(lines, path) or line_of(lines, where),
                                    ".".join(map(str, path)),
                                    f"found source {ev.source!r} dated {date}, after the start {start}, expected "
                                    "sources on or before the start (later facts belong in events)"))
    return problems
