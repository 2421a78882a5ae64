"""Red lines in a closed zone: their dual weights, the smallest move of each that alone opens the zone,
and clashes (red lines that leave no outcome at all).

Moving actor ``i``'s upper red line on range issue ``k`` to ``b`` changes only that issue's part of the
support function, ``M_ck(b) = max_{a_k <= x <= b} g_ck(x)`` with ``g_ck(x) = sum_j mu_cj u_jk(x)`` concave
and piecewise linear with kinks at the ideals. ``M_ck`` is nondecreasing, concave and linear between
kinks, so for each combination ``l`` and candidate ``c`` the smallest ``b`` with
``const_lc + M_ck(b) >= 0`` is found exactly by evaluating at the kinks and interpolating on one
segment; the zone opens at ``min_l max_c`` of these. Lower red lines are the same problem reflected
(``x -> -x``). Levels red lines are moved level by level: the cheapest combination that opens the zone
and is blocked only by that red line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import solver
from .diagnosis import OPEN, Programme, Snapshot
from .linalg import fold, mv

__all__ = ["RangeMoves", "LevelMoves", "Clashes", "range_moves", "level_moves", "clashes", "clash_flags",
           "level_distance"]

TOL = 1e-12


@dataclass(frozen=True)
class RangeMoves:
    """Per world, actor and range issue (W, n, kc), for the ``min`` and the ``max`` red lines:
    ``present`` (the red line is inside the issue's range), ``bound`` (its value now), ``needed`` (the
    value it must move to, alone, to open the zone; the current value where open; NaN where it cannot
    alone) and ``weight`` (width gained per unit of relaxation; NaN where the red lines clash)."""

    present: dict
    bound: dict
    needed: dict
    weight: dict


@dataclass(frozen=True)
class LevelMoves:
    """Per world, actor and levels issue (W, n, kl): ``present``, ``level`` (index of the level the red
    line must allow, alone, to open the zone; -1 where it cannot alone), ``steps`` (levels beyond what it
    allows now; inf where it cannot alone) and ``weight`` (width gained by allowing one more level)."""

    present: np.ndarray
    level: np.ndarray
    steps: np.ndarray
    weight: np.ndarray


@dataclass(frozen=True)
class Clashes:
    """Red lines that leave no outcome. Range issues (W, kc): ``range_clash``, ``range_gap`` (how far the
    highest minimum lies above the lowest maximum, in the issue's units); ``range_low``, ``range_high``
    (W, n, kc): whose minimum and whose maximum clash. Levels issues (W, kl): ``level_clash``,
    ``level_gap`` (level steps the red lines must move in all to share a level); ``level_who``
    (W, n, kl): whose red lines must move."""

    range_clash: np.ndarray
    range_gap: np.ndarray
    range_low: np.ndarray
    range_high: np.ndarray
    level_clash: np.ndarray
    level_gap: np.ndarray
    level_who: np.ndarray


def _smallest_bound(mu, const, feas, w, ideal, span, a, cap):
    """Smallest upper bound ``b`` in ``[a, cap]`` on one issue that opens the zone; inf if none.

    mu (W, C, n); const (W, L, C) every other term of the slack; feas (W, L) combinations feasible on
    every other issue; w, ideal, span (W, n) this issue's; a, cap (W,).
    """
    top = np.maximum(a, cap)
    pts = np.sort(np.concatenate([a[:, None], np.clip(ideal, a[:, None], top[:, None]), top[:, None]], 1), 1)
    u = w[:, :, None] * (1.0 - np.abs(pts[:, None, :] - ideal[:, :, None]) / span[:, :, None])  # (W, n, P)
    M = np.maximum.accumulate(mu @ u, axis=2)                                                    # (W, C, P)
    f = const[..., None] + M[:, None]                                                          # (W, L, C, P)
    ok = f >= 0
    q = ok.argmax(axis=3)
    f1 = np.take_along_axis(f, q[..., None], 3)[..., 0]
    f0 = np.take_along_axis(f, np.maximum(q - 1, 0)[..., None], 3)[..., 0]
    p1 = np.take_along_axis(pts[:, None, None, :], q[..., None], 3)[..., 0]
    p0 = np.take_along_axis(pts[:, None, None, :], np.maximum(q - 1, 0)[..., None], 3)[..., 0]
    rise = np.where(f1 > f0, f1 - f0, 1.0)
    x = np.where(q == 0, pts[:, :1, None], p0 - f0 * (p1 - p0) / rise)
    need = np.where(ok.any(axis=3), x, np.inf).max(axis=2)                                    # (W, L)
    best = np.where(feas, need, np.inf).min(axis=1)
    return np.where(cap >= a - TOL, best, np.inf)


def _edge_gain(mu, w, ideal, span, edge, low, active):
    """Right derivative of ``max_{low <= x <= edge} g_c(x)`` in ``edge``, minimised over the active
    candidates: how much the width gains per unit the upper edge moves out. All (W, ...) arrays."""
    slope = w / span                                                                           # (W, n)
    right = mv(mu, slope * np.where(ideal > edge[:, None], 1.0, -1.0))
    left = mv(mu, slope * np.where(ideal >= edge[:, None], 1.0, -1.0))
    at_max = (left >= -TOL) | (edge <= low + TOL)[:, None]
    gain = np.where(at_max, np.maximum(right, 0.0), 0.0)                                       # (W, C)
    return fold(np.minimum, np.where(active, gain, np.inf), 1)


def _others_feasible(snap: Snapshot, p: Programme, k: int) -> np.ndarray:
    keep = [q for q in range(p.a.shape[1]) if q != k]
    return solver.combo_feasible(snap.allowed, p.combos, p.a[:, keep], p.b[:, keep])


def _one_side(snap, p, k, i, upper, feas, const, active, moves=True):
    """(needed, weight) for actor ``i``'s upper (or, reflected, lower) red line on issue ``k``."""
    sign = 1.0 if upper else -1.0
    own = snap.red_hi if upper else -snap.red_lo
    others = np.delete(own[:, :, k], i, axis=1)
    edge_of_range = snap.hi[k] if upper else -snap.lo[k]
    cap = np.minimum(fold(np.minimum, others, 1), edge_of_range) if others.shape[1] \
        else np.full(len(p.t), edge_of_range)
    low = -p.b[:, k] if not upper else p.a[:, k]
    cur = own[:, i, k]
    ideal, w, span = sign * snap.ideal[:, :, k], snap.w_range[:, :, k], snap.span[:, :, k]
    new = _smallest_bound(p.mu, const, feas, w, ideal, span, low, cap) if moves else np.full(len(p.t), np.nan)
    sole = cur < cap - TOL
    closed = p.t < OPEN
    needed = np.where(closed, np.where(sole & np.isfinite(new), new, np.nan), cur)
    gain = _edge_gain(p.mu, w, ideal, span, cur, low, active)
    weight = np.where(np.isfinite(p.t), np.where(sole, gain, 0.0), np.nan)
    return sign * needed, weight


def range_moves(snap: Snapshot, p: Programme, *, moves: bool = True) -> RangeMoves:
    """The smallest move of every range red line that alone opens the zone, and its dual weight
    (only the weights, with ``needed`` left NaN where closed, if not ``moves``)."""
    W, n, kc = snap.ideal.shape
    out = {side: {f: np.full((W, n, kc), np.nan) for f in ("needed", "weight")} for side in ("min", "max")}
    rows = np.arange(W)
    at = p.slack[rows, p.combo]                                                               # (W, C)
    active = at <= np.where(np.isfinite(p.t), p.t, 0.0)[:, None] + 1e-12
    present = {"min": snap.red_lo > snap.lo + TOL, "max": snap.red_hi < snap.hi - TOL}
    for k in range(kc):
        # a red line no world holds is NaN whatever its move: many actors hold none on an issue, or one side only
        held = [(i, side, upper) for i in range(n) for side, upper in (("max", True), ("min", False))
                if present[side][:, i, k].any()]
        if not held:
            continue
        feas = _others_feasible(snap, p, k) if moves else None
        const = p.slack - p.S[:, None, :, k] if moves else None
        for i, side, upper in held:
            nd, wt = _one_side(snap, p, k, i, upper, feas, const, active, moves)
            out[side]["needed"][:, i, k], out[side]["weight"][:, i, k] = nd, wt
    bound = {"min": snap.red_lo, "max": snap.red_hi}
    for side in out:
        out[side]["needed"] = np.where(present[side], out[side]["needed"], np.nan)
        out[side]["weight"] = np.where(present[side], out[side]["weight"], np.nan)
    return RangeMoves(present, bound, {s: out[s]["needed"] for s in out}, {s: out[s]["weight"] for s in out})


def level_distance(allowed: np.ndarray) -> np.ndarray:
    """Steps from each level to the nearest allowed one: allowed (..., levels) -> (..., levels). Where a
    red line allows no level at all, allowing any one level is one step."""
    pos = np.arange(allowed.shape[-1])
    gap = np.abs(pos[:, None] - pos[None, :]).astype(float)                                   # (v, u)
    dist = fold(np.minimum, np.where(allowed[..., None, :], gap, np.inf), -1)
    return np.where(np.isinf(dist), 1.0, dist)


def level_moves(snap: Snapshot, p: Programme, *, moves: bool = True) -> LevelMoves:
    """The fewest levels each levels red line must allow, alone, to open the zone, and which one (only
    the weights, with ``level`` -1 and ``steps`` inf, if not ``moves``)."""
    W, n, _ = snap.ideal.shape
    kl = len(snap.allowed)
    box_ok = fold(np.logical_and, p.a <= p.b + TOL, 1)
    T = fold(np.minimum, p.slack, 2)                                                           # (W, L)
    shape = (W, n, kl)
    level, steps, weight = np.full(shape, -1), np.full(shape, np.inf), np.full(shape, np.nan)
    every = [fold(np.logical_and, al, 1) for al in snap.allowed]                               # (W, levels)
    present = np.stack([~fold(np.logical_and, al, 2) for al in snap.allowed], axis=2) if kl else np.zeros(shape, bool)
    for j in range(kl):
        # only the weights: those of a red line no world holds are NaN, and it is not looked at
        held = [i for i in range(n) if moves or present[:, i, j].any()]
        if not held:
            continue
        rest = np.broadcast_to(box_ok[:, None], T.shape).copy()
        for q, ev in enumerate(every):
            if q != j:
                rest &= ev[:, p.combos[:, q]]
        for i in held:
            others = fold(np.logical_and, np.delete(snap.allowed[j], i, axis=1), 1)          # (W, levels)
            ok = rest & others[:, p.combos[:, j]]
            dist = level_distance(snap.allowed[j][:, i])[:, p.combos[:, j]]                   # (W, L)
            if moves:
                cost = np.where(ok & (T >= OPEN), dist, np.inf)
                steps[:, i, j] = fold(np.minimum, cost, 1)
                pick = np.where(cost == steps[:, i, j][:, None], T, -np.inf).argmax(axis=1)
                level[:, i, j] = np.where(np.isfinite(steps[:, i, j]), p.combos[pick, j], -1)
            near = fold(np.maximum, np.where(ok & (dist == 1), T, -np.inf), 1)
            gain = np.maximum(np.where(np.isfinite(near), near, p.t) - np.where(np.isfinite(p.t), p.t, 0.0), 0.0)
            weight[:, i, j] = np.where(np.isfinite(p.t), gain, np.nan)
    weight = np.where(present, weight, np.nan)
    return LevelMoves(present, level, np.where(present, steps, np.nan), weight)


def clash_flags(snap: Snapshot, p: Programme) -> tuple[np.ndarray, np.ndarray]:
    """Which issues' red lines leave no outcome: range issues (W, kc), levels issues (W, kl)."""
    lc = [~fold(np.logical_or, fold(np.logical_and, al, 1), 1) for al in snap.allowed]
    return p.a > p.b + TOL, np.stack(lc, axis=-1) if lc else np.zeros((len(p.a), 0), bool)


def clashes(snap: Snapshot, p: Programme) -> Clashes:
    """Which red lines leave no outcome, and how far apart they are."""
    rc, lc = clash_flags(snap, p)
    low = (snap.red_lo >= p.a[:, None, :] - TOL) & rc[:, None, :]
    high = (snap.red_hi <= p.b[:, None, :] + TOL) & rc[:, None, :]
    W, n, _ = snap.ideal.shape
    gaps, who = [], []
    for j, al in enumerate(snap.allowed):
        dist = level_distance(al)                                                             # (W, n, v)
        total = dist.sum(axis=1)
        v = total.argmin(axis=1)
        none = lc[:, j]
        gaps.append(np.where(none, fold(np.minimum, total, 1), 0.0))
        who.append(none[:, None] & (dist[np.arange(W), :, v] > 0))
    stack = lambda xs, shape, dt: np.stack(xs, axis=-1) if xs else np.zeros(shape, dt)
    return Clashes(rc, np.where(rc, p.a - p.b, 0.0), low, high, lc, stack(gaps, (W, 0), float),
                   stack(who, (W, n, 0), bool))
