"""``simulate``: a scenario in, tidy tables out."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .model import NegotiationModel
from .results import Results
from .scenario.schema import Scenario

__all__ = ["simulate", "actor_colors"]

_PALETTE = ["#c0392b", "#2e86c1", "#27ae60", "#8e44ad", "#d68910", "#17a589", "#7f8c8d", "#a04000"]


def actor_colors(scenario: Scenario) -> dict[str, str]:
    """One fixed colour per actor, used by every figure: the scenario's ``color`` or a palette entry."""
    return {a: (spec.color or _PALETTE[i % len(_PALETTE)]) for i, (a, spec) in enumerate(scenario.actors.items())}


def _root(seed) -> tuple[np.random.SeedSequence, int]:
    if isinstance(seed, np.random.SeedSequence):
        return seed, int(seed.entropy) % 2**63
    if seed is None:
        seed = int(np.random.SeedSequence().entropy) % 2**63
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: found {seed!r}, expected a whole number >= 0")
    return np.random.SeedSequence(int(seed)), int(seed)


def simulate(scenario: Scenario, *, runs: int = 1, seed=None, history: bool = True) -> Results:
    """Simulate ``runs`` worlds of ``scenario`` round by round to its horizon.

    Parameters
    ----------
    scenario : Scenario
        From :func:`sim.load_scenario`.
    runs : int, keyword-only
        Number of worlds (Monte Carlo draws of every uncertain parameter).
    seed : int, SeedSequence or None, keyword-only
        The same scenario, seed and runs give identical tables. ``None`` draws a fresh seed, which is
        recorded in every row.
    history : bool, keyword-only
        Also return one row per world and round.
    """
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise ValueError(f"runs: found {runs!r}, expected a whole number >= 1")
    root, seed_value = _root(seed)
    model = NegotiationModel(scenario, runs=int(runs), rng=root)
    while model.running:
        model.step()
    outcomes = _outcomes(model, seed_value)
    hist = _history(model) if history else None
    record = {
        "scenario": scenario.name, "scenario_file": scenario.file, "scenario_digest": scenario.digest,
        "package_version": _version(), "seed": seed_value, "spawn_key": list(root.spawn_key),
        "runs": int(runs), "horizon": scenario.horizon,
    }
    return Results(outcomes, hist, scenario, seed_value, int(runs), record)


def _version() -> str:
    from . import __version__
    return __version__


def _names(actors: list[str]) -> np.ndarray:
    """Bit mask -> comma-separated actor names, for every mask."""
    n = len(actors)
    return np.array([",".join(a for i, a in enumerate(actors) if m >> i & 1) for m in range(2 ** n)], dtype=object)


def _nullable(rounds: np.ndarray) -> pd.arrays.IntegerArray:
    """Rounds as nullable integers, <NA> where the event never happened (-1)."""
    return pd.arrays.IntegerArray(rounds.astype("int64"), rounds < 0)


def _dates(model, rounds: np.ndarray) -> np.ndarray:
    d = model.dates[np.clip(rounds, 0, None)].astype("datetime64[ns]")
    return np.where(rounds >= 0, d, np.datetime64("NaT", "ns"))


def _outcomes(model: NegotiationModel, seed: int) -> pd.DataFrame:
    wd, deal = model.worlds, model.deal
    W = model.runs
    cols: dict = {"world": np.arange(W), "seed": np.full(W, seed, dtype=np.int64)}
    cols.update({k: v for k, v in sorted(wd.sampled.items())})
    for name, rounds in (("zopa", deal.zopa_round), ("talks", deal.talks_round), ("agreement", deal.round)):
        cols[f"{name}_round"] = _nullable(rounds)
        cols[f"{name}_date"] = _dates(model, rounds)
    cols["agreed"] = deal.agreed.copy()
    for k, issue in enumerate(wd.range_issues):
        cols[f"terms.{issue}"] = deal.x[:, k]
    for k, issue in enumerate(wd.level_issues):
        names = np.array(list(wd.levels[k]) + [None], dtype=object)
        cols[f"terms.{issue}"] = names[np.where(deal.levels[:, k] < 0, -1, deal.levels[:, k])]
    for i, a in enumerate(wd.actors):
        cols[f"utility.{a}"] = deal.utility[:, i]
    for i, a in enumerate(wd.actors):
        cols[f"reservation.{a}"] = np.where(deal.agreed, deal.reservation[:, i], model.last["reservation"][:, i])
    cols["blocking"] = _names(wd.actors)[model.history[-1]["blocking"]]
    cols["status"] = deal.status.astype(str)
    failed = int((deal.status != "ok").sum())
    if failed:
        warnings.warn(f"{failed} of {W} worlds could not be settled (see the outcome table's status column)",
                      RuntimeWarning, stacklevel=3)
    df = pd.DataFrame(cols)
    df.attrs["end_date"] = str(model.dates[-1])
    return df


def _history(model: NegotiationModel) -> pd.DataFrame:
    h, wd = model.history, model.worlds
    R, W = len(h), model.runs
    keep = np.arange(R)[:, None] <= np.where(model.deal.round < 0, R, model.deal.round)[None, :]   # (R, W)
    stack = {k: np.stack([row[k] for row in h]) for k in ("zopa_open", "zopa_width", "talks", "agreed", "blocking")}
    res = np.stack([row["reservation"] for row in h])                                              # (R, W, n)
    order = lambda a: np.swapaxes(a, 0, 1)[keep.T]                                                 # world-major
    cols = {
        "world": order(np.broadcast_to(np.arange(W), (R, W))),
        "round": order(np.broadcast_to(np.arange(R)[:, None], (R, W))),
    }
    cols["date"] = model.dates[:R].astype("datetime64[ns]")[cols["round"]]
    cols["zopa_open"] = order(stack["zopa_open"])
    cols["zopa_width"] = order(stack["zopa_width"])
    for i, a in enumerate(wd.actors):
        cols[f"reservation.{a}"] = order(res[:, :, i])
    cols["talks"] = order(stack["talks"])
    cols["agreed"] = order(stack["agreed"])
    cols["blocking"] = _names(wd.actors)[order(stack["blocking"])]
    return pd.DataFrame(cols)
