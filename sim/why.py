"""Why no deal: run a scenario to a round, diagnose every world's zone, and lay the answer out as tables.

:func:`why` steps the model exactly as :func:`sim.simulate` does (same seed, same worlds) up to the
round asked for, then reads off, per world, what binds, the smallest concessions that would open the
zone (:mod:`.engine.diagnosis`, :mod:`.engine.redlines`), the coalitions that have a zone of their own,
and the ripeness indicators of every round so far (:mod:`.ripeness`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .engine import diagnosis as dg, redlines as rl
from .engine.linalg import fold, rows
from .io import write_atomic
from .model import NegotiationModel
from .ripeness import Tracker
from .scenario.schema import Scenario

__all__ = ["Why", "why", "snapshot", "diagnose", "binding_issues", "binding_hits"]

# (world, levels combination) rows whose slacks are found at once for the binding issues: about 230 bytes
# each, so a chunk holds some 50 MB however many worlds the run has
BINDING_ROWS = 200_000


@dataclass
class Why:
    """The diagnosis of one round of an ensemble; each table is tidy, one row per world and item.

    Attributes
    ----------
    worlds : one row per world still without a deal: width, clash, equal and pair concessions,
        each actor's smallest reservation drop (``drop.<actor>``).
    constraints : one row per world and constraint (each reservation, each red line): its value, dual
        weight, whether it binds, and the smallest move that alone opens the zone.
    clashes : one row per world and issue whose red lines leave no outcome, with the gap.
    coalitions : one row per world and coalition: its own zone's width, and whether it blocks minimally.
    ripeness : one row per world and round up to the round diagnosed (:mod:`sim.ripeness`).
    """

    worlds: pd.DataFrame
    constraints: pd.DataFrame
    clashes: pd.DataFrame
    coalitions: pd.DataFrame
    ripeness: pd.DataFrame
    scenario: Any
    round: int
    date: Any
    record: dict = field(default_factory=dict)

    def text(self) -> str:
        """The plain-language report."""
        from .why_text import report
        return report(self)

    def save(self, directory: str | Path) -> Path:
        """Write why.parquet (the constraints), and the other tables as why-<name>.parquet, atomically."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        tables = {"why": self.constraints, "why-worlds": self.worlds, "why-clashes": self.clashes,
                  "why-coalitions": self.coalitions, "why-ripeness": self.ripeness}
        for name, table in tables.items():
            write_atomic(d / f"{name}.parquet", lambda p, t=table: t.to_parquet(p, index=False))
        rec = {**self.record, "round": self.round, "date": str(self.date)}
        write_atomic(d / "why.json", lambda p: p.write_text(json.dumps(rec, indent=2, default=str)))
        return d


def snapshot(model: NegotiationModel, *, copy: bool = True) -> dg.Snapshot:
    """The model's current round as arrays for the diagnosis (copies, as the model may step on, unless
    ``copy`` is False: for a reading taken before the model steps again)."""
    wd = model.worlds
    keep = (lambda a: a.copy()) if copy else (lambda a: a)
    return dg.Snapshot(wd.w_range, wd.w_level, wd.ideal, wd.span, keep(wd.red_lo), keep(wd.red_hi),
                       [keep(a) for a in wd.allowed], wd.level_vals, wd.levels, wd.lo, wd.hi,
                       model.reservations())


def _round_of(scenario: Scenario, model_dates: np.ndarray, round_, date) -> int:
    if round_ is not None and date is not None:
        raise ValueError("found both a round and a date, expected at most one")
    if date is not None:
        d = np.datetime64(str(date), "D")
        if d < model_dates[0] or d > model_dates[-1]:
            raise ValueError(f"date: found {date}, expected one between {model_dates[0]} and {model_dates[-1]}")
        return int(np.searchsorted(model_dates, d, side="right") - 1)
    r = 0 if round_ is None else round_
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not 0 <= r <= scenario.horizon:
        raise ValueError(f"round: found {round_!r}, expected a whole number from 0 to {scenario.horizon}")
    return int(r)


def why(source, *, round: int | None = None, date=None, runs: int | None = None, seed=None,
        coalitions: bool = True, window: int = 3, margin: float = 0.05) -> Why:
    """Diagnose why the zone is closed at ``round`` (or the round on ``date``; default round 0).

    Parameters
    ----------
    source : Scenario or Results
        A scenario, or the results of :func:`sim.simulate` (its scenario, seed and runs are reused, so
        the worlds are the same ones).
    round, date : keyword-only
        The round to diagnose, or a calendar date (the round in force on that date).
    runs, seed : keyword-only
        Worlds and seed, as in :func:`sim.simulate` (default 1000 worlds for a scenario).
    coalitions : bool, keyword-only
        Also check every coalition (every subset up to 8 actors, else pairs).
    window, margin : keyword-only
        Ripeness: rounds over which a stalemate is judged, and how far the zone may be closed for a
        way out (utility).
    """
    from . import __version__
    from .simulate import _root
    scenario = getattr(source, "scenario", source)
    if scenario is None:
        raise ValueError("found results without their scenario, expected results whose scenario file exists")
    if hasattr(source, "outcomes"):
        runs = source.runs if runs is None else runs
        seed = source.seed if seed is None else seed
    runs = 1000 if runs is None else runs
    root, seed_value = _root(seed)
    model = NegotiationModel(scenario, runs=int(runs), rng=root)
    target = _round_of(scenario, model.dates, round, date)
    tracker = Tracker(model, window=window, margin=margin)
    while model.round < target and model.running:
        model.step()
        tracker.observe(model)
    live = model.active | (model.deal.round == model.round)
    idx = np.where(live)[0]
    out = diagnose(snapshot(model), scenario, idx, coalitions=coalitions, mu=model.zone.mu[idx])
    record = {"scenario": scenario.name, "scenario_digest": scenario.digest, "seed": seed_value,
              "runs": int(runs), "package_version": __version__, "window": window, "margin": margin}
    # every world may have made its deal before the target round, when the model stops early
    return Why(*out, tracker.table(), scenario, target, model.dates[target], record)


def diagnose(snap: dg.Snapshot, scenario: Scenario, worlds: np.ndarray, *, coalitions: bool = True,
             mu: np.ndarray | None = None):
    """The four diagnosis tables (worlds, constraints, clashes, coalitions) for the worlds listed (``mu``:
    their dual candidates, if known)."""
    from .why_tables import clash_table, coalition_table, constraint_table, empty_tables, world_table
    if not len(worlds):
        return empty_tables(list(scenario.actors))
    sub = _take(snap, worlds)
    p = dg.programme(sub, mu=mu)
    ranges, levels, clash = rl.range_moves(sub, p), rl.level_moves(sub, p), rl.clashes(sub, p)
    drops = dg.reservation_drops(p)
    actors = list(scenario.actors)
    wt = world_table(worlds, p, drops, dg.best_pair(p), actors)
    ct = constraint_table(worlds, sub, p, drops, ranges, levels, clash, scenario)
    kt = clash_table(worlds, sub, clash, scenario)
    co = coalition_table(worlds, sub, actors) if coalitions else coalition_table(worlds[:0], _take(sub, []), actors)
    return wt, ct, kt, co


def _take(snap: dg.Snapshot, idx) -> dg.Snapshot:
    idx = np.asarray(idx, dtype=int)
    return dg.Snapshot(*(rows(a, idx) for a in (snap.w_range, snap.w_level, snap.ideal, snap.span, snap.red_lo,
                                                snap.red_hi)),
                       [rows(a, idx) for a in snap.allowed], snap.level_vals, snap.levels, snap.lo, snap.hi,
                       rows(snap.r, idx))


def _binding(snap: dg.Snapshot, mu: np.ndarray) -> np.ndarray:
    """Which issues' red lines bind, per world of ``snap`` (closed zones): (W, issues) bool."""
    p = dg.programme(snap, mu=mu)
    ranges, levels = rl.range_moves(snap, p, moves=False), rl.level_moves(snap, p, moves=False)
    range_clash, level_clash = rl.clash_flags(snap, p)
    weight = lambda w: fold(np.maximum, np.nan_to_num(w), 1) > dg.EPS
    hit_r = weight(ranges.weight["min"]) | weight(ranges.weight["max"]) | range_clash
    return np.concatenate([hit_r, weight(levels.weight) | level_clash], axis=1)


def binding_hits(model: NegotiationModel) -> tuple[np.ndarray, np.ndarray]:
    """The worlds whose zone is closed now, and which issues' red lines bind each of them: (worlds,) indices
    and (worlds, issues) bool, issues as range issues then levels issues."""
    idx = np.where(model.active & (model.last["zopa_width"] < dg.OPEN))[0]
    issues = len(model.worlds.range_issues) + len(model.worlds.level_issues)
    if not len(idx):
        return idx, np.zeros((0, issues), dtype=bool)
    snap = snapshot(model, copy=False)      # read here and now: every chunk takes its own rows
    step = max(1, BINDING_ROWS // len(model.zone.combos))     # every combination's slacks, per chunk of worlds
    return idx, np.concatenate([_binding(_take(snap, idx[s:s + step]), model.zone.mu[idx[s:s + step]])
                                for s in range(0, len(idx), step)])


def binding_issues(model: NegotiationModel) -> np.ndarray:
    """Per world, the issues whose red lines bind a closed zone now, comma-separated ('' where the zone
    is open, a deal was struck, or only reservations bind). What the ``zopa run`` summary names."""
    out = np.full(model.runs, "", dtype=object)
    idx, hit = binding_hits(model)
    if not len(idx):
        return out
    names = list(model.worlds.range_issues) + list(model.worlds.level_issues)
    if len(names) > 12:
        out[idx] = [",".join(np.array(names, dtype=object)[row]) for row in hit]
        return out
    joined = np.array([",".join(k for j, k in enumerate(names) if m >> j & 1) for m in range(2 ** len(names))],
                      dtype=object)
    out[idx] = joined[hit @ (1 << np.arange(len(names)))]
    return out
