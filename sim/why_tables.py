"""The tables of :func:`sim.why`: arrays from the diagnosis laid out one row per world and item."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .engine import diagnosis as dg

__all__ = ["world_table", "constraint_table", "clash_table", "coalition_table", "empty_tables",
           "CONSTRAINT_COLUMNS"]

CONSTRAINT_COLUMNS = ["world", "kind", "actor", "issue", "bound", "unit", "value", "allowed", "weight", "binds",
                      "alone", "needed", "needed_level", "move", "open"]


def world_table(worlds, p: dg.Programme, drops, pair, actors) -> pd.DataFrame:
    """One row per world: its width, whether red lines clash, the equal and the cheapest pair concession."""
    pairs, k, total, d1, d2 = pair
    names = np.array(["+".join(actors[i] for i in q) for q in pairs] + [""], dtype=object)
    cols = {"world": worlds, "width": p.t, "open": p.t >= dg.OPEN, "clash": np.isneginf(p.t),
            "equal_concession": np.where(p.t >= dg.OPEN, 0.0, -p.t),
            "pair": names[k], "pair_total": np.where(k >= 0, total, np.nan),
            "pair_first": np.where(k >= 0, d1, np.nan), "pair_second": np.where(k >= 0, d2, np.nan)}
    for i, a in enumerate(actors):
        cols[f"drop.{a}"] = np.where(np.isfinite(drops[:, i]), drops[:, i], np.nan)
    return pd.DataFrame(cols)


def _rows(worlds, mask, **cols) -> pd.DataFrame:
    keep = np.asarray(mask, dtype=bool)
    return pd.DataFrame({k: (np.asarray(v)[keep] if np.ndim(v) else np.full(keep.sum(), v, dtype=object))
                         for k, v in {"world": worlds, **cols}.items()})


def constraint_table(worlds, snap, p, drops, ranges, levels, clash, scenario) -> pd.DataFrame:
    """One row per world and constraint: reservations, range red lines (min, max), levels red lines."""
    actors = list(scenario.actors)
    W = len(worlds)
    closed = p.t < dg.OPEN
    cert = p.mu[np.arange(W), p.cert]                                                        # (W, n)
    finite = np.isfinite(p.t)
    parts = []
    for i, a in enumerate(actors):
        d = drops[:, i]
        weight = np.where(finite, cert[:, i], np.nan)
        parts.append(_rows(worlds, np.ones(W), kind="reservation", actor=a, issue="", bound="", unit="utility",
                           value=snap.r[:, i], allowed="", weight=weight, binds=closed & (weight > dg.EPS),
                           alone=np.isfinite(d), needed=np.where(np.isfinite(d), snap.r[:, i] - d, np.nan),
                           needed_level="", move=np.where(np.isfinite(d), d, np.nan), open=~closed))
    rng_ids = [k for k, v in scenario.issues.items() if not v.is_levels]
    for k, issue in enumerate(rng_ids):
        unit = scenario.issues[issue].unit or ""
        for side, part in (("min", clash.range_low), ("max", clash.range_high)):
            for i, a in enumerate(actors):
                nd, wt, now = ranges.needed[side][:, i, k], ranges.weight[side][:, i, k], ranges.bound[side][:, i, k]
                binds = closed & ((np.nan_to_num(wt) > dg.EPS) | part[:, i, k])
                parts.append(_rows(worlds, ranges.present[side][:, i, k], kind="red line", actor=a, issue=issue,
                                   bound=side, unit=unit, value=now, allowed="", weight=wt, binds=binds,
                                   alone=~np.isnan(nd), needed=nd, needed_level="", move=np.abs(nd - now),
                                   open=~closed))
    lvl_ids = [k for k, v in scenario.issues.items() if v.is_levels]
    for j, issue in enumerate(lvl_ids):
        names = np.array(list(snap.levels[j]) + [""], dtype=object)
        for i, a in enumerate(actors):
            mask = snap.allowed[j][:, i]
            now = np.array(["|".join(names[:-1][m]) for m in mask], dtype=object)
            st, wt = levels.steps[:, i, j], levels.weight[:, i, j]
            binds = closed & ((np.nan_to_num(wt) > dg.EPS) | clash.level_who[:, i, j])
            parts.append(_rows(worlds, levels.present[:, i, j], kind="red line", actor=a, issue=issue,
                               bound="allowed", unit="levels", value=np.nan, allowed=now, weight=wt, binds=binds,
                               alone=np.isfinite(st), needed=np.nan, needed_level=names[levels.level[:, i, j]],
                               move=np.where(np.isfinite(st), st, np.nan), open=~closed))
    out = pd.concat(parts, ignore_index=True)[CONSTRAINT_COLUMNS]
    for c in ("value", "weight", "needed", "move"):
        out[c] = out[c].astype(float)
    for c in ("binds", "alone", "open"):
        out[c] = out[c].astype(bool)
    return out.sort_values(["world"], kind="stable", ignore_index=True)


def clash_table(worlds, snap, clash, scenario) -> pd.DataFrame:
    """One row per world and issue whose red lines leave no outcome."""
    actors = list(scenario.actors)
    names = np.array([",".join(a for i, a in enumerate(actors) if m >> i & 1) for m in range(2 ** len(actors))],
                     dtype=object) if len(actors) <= 12 else None
    bits = 1 << np.arange(len(actors))

    def join(masks):
        """Rows of an actor mask -> comma-separated names."""
        masks = np.asarray(masks, dtype=bool).reshape(-1, len(actors))
        if names is not None:
            return names[masks @ bits]
        return np.array([",".join(np.array(actors, dtype=object)[m]) for m in masks], dtype=object)
    parts = []
    rng_ids = [k for k, v in scenario.issues.items() if not v.is_levels]
    for k, issue in enumerate(rng_ids):
        c = clash.range_clash[:, k]
        parts.append(pd.DataFrame({
            "world": worlds[c], "issue": issue, "unit": scenario.issues[issue].unit or "",
            "gap": clash.range_gap[c, k], "low": join(clash.range_low[c, :, k]),
            "high": join(clash.range_high[c, :, k]),
            "actors": join(clash.range_low[c, :, k] | clash.range_high[c, :, k])}))
    lvl_ids = [k for k, v in scenario.issues.items() if v.is_levels]
    for j, issue in enumerate(lvl_ids):
        c = clash.level_clash[:, j]
        who = join(clash.level_who[c, :, j])
        parts.append(pd.DataFrame({"world": worlds[c], "issue": issue, "unit": "levels",
                                   "gap": clash.level_gap[c, j], "low": "", "high": "", "actors": who}))
    cols = ["world", "issue", "unit", "gap", "low", "high", "actors"]
    if not parts:
        return pd.DataFrame({c: [] for c in cols})
    out = pd.concat(parts, ignore_index=True)[cols]
    out["world"] = out["world"].astype(int)
    out["gap"] = out["gap"].astype(float)
    return out.sort_values("world", kind="stable", ignore_index=True)


def coalition_table(worlds, snap, actors) -> pd.DataFrame:
    """One row per world and coalition: the width of the zone among its members alone, with their red
    lines only, and whether it is a minimal blocking coalition."""
    coalitions = dg.subsets(len(actors))
    W = len(worlds)
    widths = dg.coalition_widths(snap, coalitions) if W else np.zeros((0, len(coalitions)))
    minimal = dg.minimal_blocking(widths, coalitions)
    names = ["+".join(actors[i] for i in c) for c in coalitions]
    return pd.DataFrame({
        "world": np.repeat(worlds, len(coalitions)).astype(int),
        "coalition": np.tile(np.array(names, dtype=object), W),
        "size": np.tile([len(c) for c in coalitions], W),
        "width": widths.reshape(-1), "open": (widths >= dg.OPEN).reshape(-1),
        "minimal_blocking": minimal.reshape(-1)})


def empty_tables(actors) -> tuple[pd.DataFrame, ...]:
    """The four tables with their columns and no rows (every world made its deal earlier)."""
    worlds = ["world", "width", "open", "clash", "equal_concession", "pair", "pair_total", "pair_first",
              "pair_second"] + [f"drop.{a}" for a in actors]
    clashes = ["world", "issue", "unit", "gap", "low", "high", "actors"]
    coalitions = ["world", "coalition", "size", "width", "open", "minimal_blocking"]
    return tuple(pd.DataFrame({c: [] for c in cols}) for cols in (worlds, CONSTRAINT_COLUMNS, clashes, coalitions))
