"""How the world moves between rounds beyond events: costs of war, the front line, patrons, scripted history.

- **Costs** (Fearon 1995's c, built up as the war goes on): each round an actor pays
  ``k_t = (per_round (1 + growth)^(t-1) + per_battle * battles) * m_t``, where ``m_t`` is the patrons' cost
  multiplier of its side, and carries ``C_t = memory * C_(t-1) + k_t``; its reservation falls by ``C_t``.
  With ``memory = d < 1`` and a constant ``k``, ``C_t`` rises to ``k / (1 - d)``, the present value of fighting
  on at the current rate (Powell 2006's cost of continuing a war), so the hurt of a long war approaches what
  a forward-looking actor would count; with ``memory = 1`` every cost stays counted.
- **The front** (a range issue tied to the battlefield): each net battle won by side A moves the line by a
  step drawn each round; red lines and ideals written ``{line: offset}`` follow it (an ideal moves the
  actor's utility, so the zone's dual candidates are recomputed where it moves: :func:`preferences_moved`).
- **Patrons**: aid level ``a`` (1 as at the start) moves the backed side's chance of winning a battle by
  ``e_odds (a - 1)`` (clipped to [0, 1]) and multiplies its actors' costs by ``1 + e_cost (1 - a)``.
- **Scripted history**: up to ``observed.until`` the battles, the line and aid levels are those observed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine import solver

__all__ = ["Dynamics", "build_dynamics", "battle_odds", "scripted", "round_cost", "move_front", "follow_line",
           "follow_ideals", "reweigh", "preferences_moved"]


@dataclass
class Dynamics:
    """Per-world arrays of the moving parts (n actors, W worlds)."""

    cost_round: np.ndarray          # (W, n)
    cost_battle: np.ndarray
    cost_growth: np.ndarray
    cost_memory: np.ndarray
    has_costs: bool = False
    grows: tuple = ()               # per actor: whether its per-round cost grows in some world
    front: int | None = None        # index of the range issue tied to the battlefield
    front_sign: float = 1.0         # +1: a battle won by side A moves the line up
    front_step: object = None       # Param of the step, drawn each round
    front_rng: np.random.Generator | None = None
    patron_side: dict = field(default_factory=dict)    # patron -> +1 (side A) or -1 (side B)
    odds_e: dict = field(default_factory=dict)          # patron -> (W,)
    cost_e: dict = field(default_factory=dict)
    observed: dict = field(default_factory=dict)        # round -> ObservedRound
    until_round: int = 0            # rounds 1..until_round are scripted
    ideal_rel: np.ndarray | None = None   # (W, n) ideals on the front's issue relative to the line (nan: absolute;
                                          # None: all are)
    layers: object = None           # which trigger's setting is in force on each target (sim.model.triggers)


def build_dynamics(s, wd, sample, root, dates: np.ndarray) -> Dynamics:
    """Draw the costs, the front and the patrons' parameters per world; lay out scripted history by round."""
    from .worlds import stream

    W, n = wd.runs, len(wd.actors)
    arrays = {k: np.zeros((W, n)) for k in ("per_round", "per_battle", "growth")}
    memory = np.ones((W, n))
    for i, a_id in enumerate(wd.actors):
        c = s.actors[a_id].costs
        if c is None:
            continue
        for k in arrays:
            arrays[k][:, i] = sample(getattr(c, k), f"actors.{a_id}.costs.{k}")
        memory[:, i] = sample(c.memory, f"actors.{a_id}.costs.memory")
    if not arrays["growth"].any():      # read only where some world's cost grows: one zero for all
        arrays["growth"] = np.broadcast_to(np.zeros(1), (W, n))
    from .triggers import Layers

    dyn = Dynamics(arrays["per_round"], arrays["per_battle"], arrays["growth"], memory,
                   has_costs=any(s.actors[a].costs is not None for a in wd.actors),
                   grows=tuple(bool(g) for g in arrays["growth"].any(axis=0)), layers=Layers())
    f = s.battlefield.front if s.battlefield is not None else None
    if f is not None:
        dyn.front, dyn.front_sign, dyn.front_step = wd.range_issues.index(f.issue), \
            (1.0 if f.a_wins_toward == "hi" else -1.0), f.per_battle
        dyn.front_rng = stream(root, "battlefield.front.per_battle")
        wd.line = np.clip(sample(f.start, "battlefield.front.start"), wd.lo[dyn.front], wd.hi[dyn.front])
        dyn.ideal_rel = _ideal_offsets(s, wd, f.issue, sample)
        wd.dyn = dyn
        follow_ideals(wd, np.ones(W, dtype=bool))
    for p_id, p in s.patrons.items():
        dyn.patron_side[p_id] = 1.0 if p.side == "a" else -1.0
        wd.aid[p_id] = sample(p.aid, f"patrons.{p_id}.aid")
        dyn.odds_e[p_id] = sample(p.odds_elasticity, f"patrons.{p_id}.odds_elasticity")
        dyn.cost_e[p_id] = sample(p.cost_elasticity, f"patrons.{p_id}.cost_elasticity")
    if s.observed is not None:
        for entry in s.observed.rounds:
            dyn.observed[int(np.searchsorted(dates, np.datetime64(entry.date, "D")))] = entry
        dyn.until_round = int(np.searchsorted(dates, np.datetime64(s.observed.until, "D"), side="right")) - 1
    return dyn


def _ideal_offsets(s, wd, issue: str, sample) -> np.ndarray:
    """Each actor's ideal on the front's issue relative to the line, per world (nan where absolute); None
    where no actor's is relative."""
    from ..scenario.schema import LineRelative

    rel = [i for i, a_id in enumerate(wd.actors) if isinstance(s.actors[a_id].ideal.get(issue), LineRelative)]
    if not rel:
        return None
    out = np.full((wd.runs, len(wd.actors)), np.nan)
    for i in rel:
        a_id = wd.actors[i]
        out[:, i] = sample(s.actors[a_id].ideal[issue].offset, f"actors.{a_id}.ideal.{issue}.line")
    return out


def battle_odds(wd) -> np.ndarray:
    """Side A's chance of winning a battle this round, moved by every patron's aid (linear, clipped)."""
    dyn = wd.dyn
    if not dyn.patron_side:
        return wd.p_a
    p = wd.p_a + sum(s * dyn.odds_e[k] * (wd.aid[k] - 1.0) for k, s in dyn.patron_side.items())
    return np.clip(p, 0.0, 1.0)


def scripted(model) -> np.ndarray | None:
    """This round's observed battles won by side A (the same in every world), or None to draw them; puts
    observed aid levels in force first."""
    dyn, r = model.worlds.dyn, model.round
    entry = dyn.observed.get(r)
    if entry is None:
        return None
    for patron, level in entry.aid.items():
        model.worlds.aid[patron][:] = level
        model.worlds.dyn.layers.overwrite(model.worlds, ("aid", patron))
    return None if entry.a_wins is None else np.full(model.runs, entry.a_wins)


def cost_multiplier(wd, side: int) -> np.ndarray | None:
    """How much a side's per-round costs are scaled by its patrons' aid withdrawn (None: by none, a factor
    of 1)."""
    dyn = wd.dyn
    out = None
    for k, s in dyn.patron_side.items():
        if s == side:                # out + e (1 - aid), each step in the array of the first
            term = np.subtract(1.0, wd.aid[k])
            term *= dyn.cost_e[k]
            if out is None:
                term += 1.0
                out = term
            else:
                out += term
    return out if out is None else np.maximum(out, 0.0, out=out)


def round_cost(model, i: int) -> np.ndarray:
    """Actor ``i``'s cost of this round of war (before accumulation), not to be written to."""
    wd = model.worlds
    dyn = wd.dyn
    k = dyn.cost_round[:, i]
    if dyn.grows[i]:                 # a power per world costs far more than the rest: only where costs grow
        k = k * (1.0 + dyn.cost_growth[:, i]) ** (model.round - 1)
    if wd.side[i] != 0 and wd.battles:
        k = k + dyn.cost_battle[:, i] * wd.battles
    factor = cost_multiplier(wd, wd.side[i]) if wd.side[i] != 0 else None
    if factor is None:
        return k
    factor *= k                      # k * factor, in the factor's own array
    return factor


def move_front(model, net_a_wins: np.ndarray) -> None:
    """Move the line by this round's net battles won by side A times a drawn step; observed lines win."""
    wd = model.worlds
    dyn = wd.dyn
    if dyn.front is None:
        return
    step = dyn.front_step.sample(dyn.front_rng, model.runs) if not dyn.front_step.fixed else dyn.front_step.value
    entry = dyn.observed.get(model.round)
    if entry is not None and entry.line is not None:
        new = np.full(model.runs, entry.line, dtype=float)
    else:                            # line + sign * step * net, each step after the first in its array
        new = np.multiply(dyn.front_sign * step, net_a_wins)
        new += wd.line
    np.clip(new, wd.lo[dyn.front], wd.hi[dyn.front], out=new)
    moved = np.not_equal(new, wd.line)
    moved &= model.active            # settled worlds keep the red lines of their deal
    wd.line = new
    if moved.any():
        follow_line(wd, moved, (model.zone, *model.partial_zones.values()))
        changed = follow_ideals(wd, moved)
        if len(changed):
            preferences_moved(model, changed)


def follow_line(wd, where: np.ndarray, zones=()) -> None:
    """Red lines written relative to the line follow it in worlds ``where``; each of ``zones`` (the full
    zone and the partial deals', which see the same red lines) is told the worlds whose red lines changed,
    and recomputes them when it next looks at them (:meth:`sim.engine.solver.Zone.refresh`)."""
    j = wd.dyn.front
    lo, hi = wd.lo[j], wd.hi[j]
    changed = np.zeros(len(where), dtype=bool)
    for side, (rel, red) in enumerate(((wd.rel_lo, wd.red_lo), (wd.rel_hi, wd.red_hi))):
        for i in range(rel.shape[1]):
            if (side, i) not in wd.rel_on:     # most actors never hold a red line relative to the line
                continue
            offset = rel[:, i, j]              # every world, not a gather of those that moved: the line moves
            on = offset == offset              # in most of them, and a gather costs more than the rest; an
            on &= where                        # offset is NaN where the red line is absolute
            if not on.any():
                continue
            old = red[:, i, j]                 # a view: written in place where the red line follows
            new = np.add(wd.line, offset)      # each step after the sum in its array (fewer temporary arrays)
            np.clip(new, lo, hi, out=new)
            moved = np.not_equal(new, old)
            moved &= on
            changed |= moved
            np.copyto(old, new, where=on)
    for zone in zones:
        np.logical_or(zone.stale, changed, out=zone.stale)     # a mask's own loop, not an indexed write


def follow_ideals(wd, where: np.ndarray) -> np.ndarray:
    """Ideals written relative to the line follow it in worlds ``where`` (``line + offset``, clipped to the
    issue's range), and so does the span that scales their utility; returns the worlds whose ideals moved,
    for :func:`preferences_moved`."""
    dyn, j = wd.dyn, wd.dyn.front
    rel = dyn.ideal_rel
    if rel is None:
        return np.zeros(0, dtype=int)
    on = ~np.isnan(rel)
    idx = np.flatnonzero(where & solver.fold(np.logical_or, on, 1))
    if not len(idx):
        return idx
    lo, hi = wd.lo[j], wd.hi[j]
    old = wd.ideal[idx, :, j]
    new = np.where(on[idx], np.clip(wd.line[idx, None] + rel[idx], lo, hi), old)
    wd.ideal[idx, :, j] = new
    wd.span[idx, :, j] = np.maximum(new - lo, hi - new)
    return idx[solver.fold(np.logical_or, new != old, 1)]


def reweigh(zone, idx: np.ndarray) -> None:
    """Recompute what depends on weights and ideals in worlds ``idx`` of ``zone`` (the full zone or a partial
    deal's, reading its own worlds' arrays): the dual candidates, padded as the solver does (any point of
    the simplex is a valid dual bound, so extra rows repeat a world's first vertex), and the levels'
    utilities; the worlds are then stale, so the support and feasibility are rebuilt when next looked at.
    The LP method builds everything from the current arrays on demand: its kept vertices stay valid bounds,
    and a stale world's tableau is dropped (:meth:`sim.engine.solver.Zone.refresh`)."""
    if zone.method != "lp" and len(idx):
        sub = zone.worlds
        mu = solver.dual_candidates(sub.w_range[idx], sub.ideal[idx], sub.span[idx])
        grow = mu.shape[1] - zone.mu.shape[1]
        if grow > 0:
            zone.mu = _pad(zone.mu, grow, 1)
            if zone.dense:
                zone.B, zone.muL = _pad(zone.B, grow, 2), _pad(zone.muL, grow, 2)
        elif grow < 0:
            mu = _pad(mu, -grow, 1)
        zone.mu[idx] = mu
        if zone.dense:
            zone.L[idx] = solver.combo_utilities(sub.w_level[idx], sub.level_vals, zone.combos)
            zone.muL[idx] = zone.L[idx] @ np.swapaxes(mu, 1, 2)
    zone.stale[idx] = True


def _pad(a: np.ndarray, k: int, axis: int) -> np.ndarray:
    """``a`` with ``k`` more entries along ``axis``, each a copy of the first."""
    first = np.take(a, [0], axis=axis)
    return np.concatenate([a, np.repeat(first, k, axis=axis)], axis=axis)


def preferences_moved(model, idx: np.ndarray) -> None:
    """Weights or ideals moved in worlds ``idx``: every zone (the full one and each partial deal's) is
    recomputed there, and so are the actors' floors and what each partial deal's deferred issues are worth
    at their status quo (kept, not computed in every round: 24 bytes a world against about a twentieth of
    a million-world run)."""
    from .worlds import status_quo_value

    wd = model.worlds
    for zone in (model.zone, *model.partial_zones.values()):
        reweigh(zone, idx)
    model.floors.moved(idx)
    for p in wd.partial.values():
        p.deferred_value[idx] = status_quo_value(wd, p.deferred, idx)
