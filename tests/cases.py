"""Small scenario files for the engine's textbook tests, written as YAML and loaded like a user's."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from zopa import sim


def two_party(reservations=(0.0, 0.0), protocol="nash", discounts=(0.9, 0.9), horizon=3, **extra) -> dict:
    """Split one unit: ``share`` is A's share, A wants 1, B wants 0 (Nash 1950's problem)."""
    return {
        "name": "two-party", "title": "Split a unit", "calendar": {"start": "2024-01-01", "step": "month"},
        "horizon": horizon, "protocol": protocol,
        "issues": {"share": {"range": [0, 1]}},
        "actors": {
            "a": {"weights": {"share": 1}, "ideal": {"share": 1}, "reservation": reservations[0],
                  "discount": discounts[0]},
            "b": {"weights": {"share": 1}, "ideal": {"share": 0}, "reservation": reservations[1],
                  "discount": discounts[1]},
        },
        **extra,
    }


def write(tmp_path: Path, data: dict, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(copy.deepcopy(data), sort_keys=False))
    return path


def run(tmp_path: Path, data: dict, *, runs: int = 1, seed: int = 0, **kw) -> sim.Results:
    return sim.simulate(sim.load_scenario(write(tmp_path, data)), runs=runs, seed=seed, **kw)
