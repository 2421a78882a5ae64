"""What results say about themselves: the record saved beside their tables.

A record holds everything needed to read, redraw and rerun results without the scenario file: the
scenario as validated (overrides applied) and the overrides, each actor's label and colour, each
issue's kind, unit, levels and description, the calendar, the seed and spawn key, and the versions,
platform and time of the run.
"""

from __future__ import annotations

import datetime as dt
import functools
import platform
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from .scenario import ScenarioError, ScenarioWarning, load_scenario, load_scenario_text, scenario_text
from .scenario.schema import Scenario

__all__ = ["actor_colors", "describe", "build_record", "provenance", "saved_scenario", "scenario_from_record", "seed_sequence", "spawn_key_text"]

PALETTE = ("#c0392b", "#2e86c1", "#27ae60", "#8e44ad", "#d68910", "#17a589", "#7f8c8d", "#a04000")
# the packages whose versions can change a run's tables or figures
PACKAGES = ("zopa", "numpy", "scipy", "pandas", "mesa", "pyarrow", "pydantic", "matplotlib")


def actor_colors(scenario: Scenario) -> dict[str, str]:
    """One fixed colour per actor, used by every figure: the scenario's ``color`` or a palette entry."""
    return {a: (spec.color or PALETTE[i % len(PALETTE)]) for i, (a, spec) in enumerate(scenario.actors.items())}


def spawn_key_text(key) -> str:
    """A SeedSequence spawn key as the text of the ``spawn_key`` column: ``(1, 3)`` -> ``"1/3"``."""
    return "/".join(str(int(k)) for k in key)


def seed_sequence(seed: int, spawn_key: str = "") -> np.random.SeedSequence:
    """The SeedSequence of a result row, from its ``seed`` and ``spawn_key`` columns.

    ``simulate(scenario, runs=runs, seed=seed_sequence(row.seed, row.spawn_key))``, with the scenario
    loaded with the row's overrides, gives that row's worlds again.
    """
    key = tuple(int(k) for k in str(spawn_key).split("/") if k != "")
    return np.random.SeedSequence(int(seed), spawn_key=key)


@functools.cache
def _versions() -> dict[str, str | None]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _issue(issue) -> dict:
    return {"kind": "levels" if issue.is_levels else "range", "unit": issue.unit,
            "levels": list(issue.levels) if issue.is_levels else None,
            "range": list(issue.range) if issue.range is not None else None, "description": issue.description}


def describe(scenario: Scenario) -> dict:
    """What a reader of results needs from the scenario: names, labels, colours, units, levels, calendar."""
    colors = actor_colors(scenario)
    return {
        "scenario": scenario.name, "title": scenario.title, "protocol": scenario.protocol,
        "scenario_file": str(Path(scenario.file).resolve()) if Path(scenario.file).is_file() else scenario.file,
        "scenario_digest": scenario.digest, "overrides": scenario.overrides,
        "actors": {a: {"label": spec.label or a, "color": colors[a]} for a, spec in scenario.actors.items()},
        "issues": {i: _issue(issue) for i, issue in scenario.issues.items()},
        "calendar": {"start": scenario.calendar.start.isoformat(), "step": scenario.calendar.step,
                     "horizon": scenario.horizon},
        "horizon": scenario.horizon,
    }


def saved_scenario(scenario: Scenario | None) -> dict:
    """The scenario as validated, as YAML text (``scenario_text``), for a record written to disk;
    empty for a scenario not read by :func:`sim.load_scenario`."""
    return {"scenario_text": scenario_text(scenario)} if scenario is not None and scenario.data else {}


def build_record(scenario: Scenario, *, seed: int, spawn_key: str, runs: int) -> dict:
    """The record of one :func:`sim.simulate` call (``Results.record``; saved as ``record.json``
    with :func:`saved_scenario` added)."""
    return {**describe(scenario), "seed": seed, "spawn_key": spawn_key, "runs": runs, **provenance()}


def provenance() -> dict:
    """Versions of zopa and the packages that shape its output, platform, and the time (UTC, ISO 8601)."""
    from . import __version__
    return {"package_version": __version__, "versions": dict(_versions()), "platform": platform.platform(),
            "python": platform.python_version(),
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def _file_changed(file: str, overrides: dict, digest: str) -> bool:
    """Whether ``file`` (with ``overrides``) no longer gives the scenario of ``digest``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScenarioWarning)
            return load_scenario(file, overrides or None).digest != digest
    except ScenarioError:
        return True


def scenario_from_record(record: dict, where: str) -> Scenario | None:
    """Rebuild the scenario saved in ``record`` (``where`` names the record in messages).

    The saved copy is always used. If the scenario file still exists but no longer gives the same
    scenario, a :class:`ScenarioWarning` says so. Records without a saved copy (older versions)
    fall back on the file, when it exists.
    """
    file, overrides = record.get("scenario_file") or "", record.get("overrides") or {}
    text = record.get("scenario_text")
    if text is None:
        return _from_file(file, overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)   # shown when the run was made
        scenario = load_scenario_text(text, file=where)
    scenario = scenario.model_copy(update={"file": file})
    scenario._overrides = dict(overrides)
    if file and Path(file).is_file() and _file_changed(file, overrides, scenario.digest):
        warnings.warn(f"{file} changed since these results were made; using the copy saved in {where}",
                      ScenarioWarning, stacklevel=3)
    return scenario


def _from_file(file: str, overrides: dict) -> Scenario | None:
    if not file or not Path(file).is_file():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return load_scenario(file, overrides or None)
