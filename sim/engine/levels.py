"""Branch and bound over levels combinations: the best one, or every one above a floor, without listing all.

With ``A_c = H(mu_c) - mu_c . r`` the width of combination ``l = (v_1, ..., v_kl)`` is
``T_l = min_c (A_c + sum_j P_j[c, v_j])``, where ``P_j[c, v] = mu_c . u_j(v)`` is what level ``v`` of levels
issue ``j`` is worth under candidate ``c`` (the levels part of the utilities is a sum over issues). The
combinations inside every red line are a product set (the levels every actor allows on each issue). Levels
are fixed issue by issue; a partial combination ``(v_1..v_j)`` is bounded above by
``min_c (A_c + sum_{j' <= j} P_j'[c, v_j'] + sum_{j' > j} max_v P_j'[c, v])`` (a minimum over the candidates
of a maximum over the completions, at least the maximum of the minimum: weak duality), and is dropped when
that bound is below the best exact width found so far, or below a floor (Land and Doig 1960). The first
lower bound is the combination reached by following the best bound down (a dive) or, if better, the one
that was best last round. Every world's search runs at once, over its surviving (world, partial
combination) pairs.

Each leaf's width is the same sum in the same order whichever path found it, so the best width, the first
best combination (the lowest index, as an ``argmax`` over all combinations gives) and its certificate are
those of the unpruned search (``prune=False``), to the bit.
"""

from __future__ import annotations

import numpy as np

__all__ = ["level_tables", "shared_levels", "best", "above", "combo_index", "PAIRS"]

PAIRS = 1_000_000       # (world, partial combination) pairs expanded at once (about 8 V C bytes each)


def level_tables(mu: np.ndarray, w_level: np.ndarray, level_vals: list[np.ndarray]) -> list[np.ndarray]:
    """``P_j[w, c, v] = mu_c . u_j(v)`` for each levels issue: (W, C, levels) each."""
    return [(mu * w_level[:, None, :, j]) @ vals for j, vals in enumerate(level_vals)]


def shared_levels(allowed: list[np.ndarray]) -> list[np.ndarray]:
    """Levels every actor's red lines allow on each levels issue: (W, levels) each."""
    return [al.all(axis=1) for al in allowed]


def combo_index(levels: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Index of combinations ``levels`` (m, kl) in :func:`sim.engine.solver.level_combos` order."""
    code = np.zeros(len(levels), dtype=np.int64)
    for j, size in enumerate(sizes):
        code = code * size + levels[:, j]
    return code


def _suffix(P, ok):
    """``R[j] = sum_{j' >= j} max_{v allowed} P_j'[:, :, v]``: (kl + 1) arrays (W, C)."""
    R = [np.zeros(P[0].shape[:2]) if P else None]
    for Pj, okj in zip(P[::-1], ok[::-1]):
        R.insert(0, np.where(okj[:, None, :], Pj, -np.inf).max(axis=2) + R[0])
    return R


def _dive(A, P, ok, R):
    """The combination reached by taking, issue by issue, the level of best bound: (width, index)."""
    Q, code, rows = A, np.zeros(len(A), dtype=np.int64), np.arange(len(A))
    for j, (Pj, okj) in enumerate(zip(P, ok)):
        cand = Q[:, None, :] + np.swapaxes(Pj, 1, 2)                          # (W, V, C)
        bound = np.where(okj, (cand + R[j + 1][:, None, :]).min(axis=2), -np.inf)
        v = bound.argmax(axis=1)
        Q, code = cand[rows, v], code * Pj.shape[2] + v
    return Q.min(axis=1), code


def _leaf(A, P, ok, code):
    """Width of the combinations ``code`` (W,), summed as the search sums it; -inf where not allowed."""
    Q, good, rows = A, np.ones(len(A), dtype=bool), np.arange(len(A))
    sizes = [Pj.shape[2] for Pj in P]
    for j, Pj in enumerate(P):
        v = code // int(np.prod(sizes[j + 1:], dtype=np.int64)) % sizes[j]
        Q, good = Q + Pj[rows, :, v], good & ok[j][rows, v]
    return np.where(good, Q.min(axis=1), -np.inf)


def _search(A, P, ok, floor, R):
    """Every leaf whose width may be at least ``floor`` (W,): (world, index, width, slacks), by world then
    index. Bounds are compared with a margin of 1e-10 (1 + |floor|), far above the rounding of kl sums."""
    margin = floor - 1e-10 * (1.0 + np.abs(np.where(np.isfinite(floor), floor, 0.0)))
    w, code, Q = np.arange(len(A)), np.zeros(len(A), dtype=np.int64), A
    for j, (Pj, okj) in enumerate(zip(P, ok)):
        V = Pj.shape[2]
        parts = []
        step = max(1, PAIRS // V)
        for s in range(0, len(w), step):
            ws, qs = w[s:s + step], Q[s:s + step]
            cand = qs[:, None, :] + np.swapaxes(Pj[ws], 1, 2)                 # (p, V, C)
            bound = (cand + R[j + 1][ws][:, None, :]).min(axis=2)
            p, v = np.nonzero(okj[ws] & (bound >= margin[ws][:, None]))
            parts.append((ws[p], code[s:s + step][p] * V + v, cand[p, v]))
        w, code, Q = (np.concatenate([x[i] for x in parts]) for i in range(3))
    return w, code, Q.min(axis=1) if len(Q) else np.zeros(0), Q


def best(A: np.ndarray, P: list[np.ndarray], ok: list[np.ndarray], *, start: np.ndarray | None = None,
         prune: bool = True):
    """Exact best width over the allowed combinations of every world (each with at least one allowed
    level per issue).

    Parameters
    ----------
    A : (W, C) ``H - mu . r``;  P : :func:`level_tables`;  ok : :func:`shared_levels`.
    start : (W,) a combination per world to bound with (last round's best), keyword-only.
    prune : False to bound nothing (every allowed combination is summed), keyword-only.

    Returns
    -------
    t : (W,) width;  combo : (W,) the first best combination;  cert : (W,) its minimising candidate.
    """
    W = len(A)
    if not P:
        return A.min(axis=1), np.zeros(W, dtype=int), A.argmin(axis=1)
    R = _suffix(P, ok)
    floor = np.full(W, -np.inf)
    if prune:
        floor = _dive(A, P, ok, R)[0]
        if start is not None:
            floor = np.maximum(floor, _leaf(A, P, ok, start))
    w, code, T, Q = _search(A, P, ok, floor, R)
    seg = np.r_[0, np.flatnonzero(np.diff(w)) + 1]
    top = np.maximum.reduceat(T, seg)
    hit = np.flatnonzero(T == np.repeat(top, np.diff(np.r_[seg, len(T)])))
    first = hit[np.r_[True, w[hit][1:] != w[hit][:-1]]]
    return T[first], code[first], Q[first].argmin(axis=1)


def above(A: np.ndarray, P: list[np.ndarray], ok: list[np.ndarray], floor: np.ndarray):
    """Every allowed combination whose width is at least ``floor`` (W,): (world, combination index),
    sorted by world then index."""
    if not P:
        keep = A.min(axis=1) >= floor
        return np.flatnonzero(keep), np.zeros(int(keep.sum()), dtype=np.int64)
    w, code, T, _ = _search(A, P, ok, floor, _suffix(P, ok))
    keep = T >= floor[w]
    return w[keep], code[keep]
