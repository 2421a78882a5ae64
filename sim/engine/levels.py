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

from dataclasses import dataclass

import numpy as np

__all__ = ["level_tables", "shared_levels", "best", "near", "split", "tables", "DealTables", "PAIRS"]

PAIRS = 1_000_000       # (world, partial combination) pairs expanded at once (about 16 V C bytes each)
MARGIN = 1e-10          # bounds are compared with this margin (times 1 + |floor|), far above their rounding


def level_tables(mu: np.ndarray, w_level: np.ndarray, level_vals: list[np.ndarray]) -> list[np.ndarray]:
    """``P_j[c, w, v] = mu_c . u_j(v)`` for each levels issue: (C, W, levels) each, candidates first so
    that minima over them are elementwise."""
    mu_t = np.moveaxis(mu, 1, 0)                                                   # (C, W, n)
    return [(mu_t * w_level[None, :, :, j]) @ vals for j, vals in enumerate(level_vals)]


def shared_levels(allowed: list[np.ndarray]) -> list[np.ndarray]:
    """Levels every actor's red lines allow on each levels issue: (W, levels) each."""
    return [al.all(axis=1) for al in allowed]


def _least(a: np.ndarray) -> np.ndarray:
    """Minimum over the first axis (the candidates), as elementwise steps."""
    out = a[0].copy()
    for part in a[1:]:
        np.minimum(out, part, out=out)
    return out


def _suffix(P, ok):
    """``R[j] = sum_{j' >= j} max_{v allowed} P_j'[:, :, v]``: (kl + 1) arrays (C, W)."""
    R = [np.zeros(P[0].shape[:2])]
    for Pj, okj in zip(P[::-1], ok[::-1]):
        R.insert(0, np.where(okj[None], Pj, -np.inf).max(axis=2) + R[0])
    return R


def _dive(Q, P, ok, R, rows, j0=0):
    """Width of the combination reached from slacks ``Q`` (C, m) of worlds ``rows`` at issue ``j0`` by
    taking, issue by issue, the level of best bound."""
    at = np.arange(len(rows))
    for j in range(j0, len(P)):
        cand = Q[:, :, None] + P[j][:, rows]                                        # (C, m, V)
        bound = np.where(ok[j][rows], _least(cand + R[j + 1][:, rows, None]), -np.inf)
        Q = cand[:, at, bound.argmax(axis=1)]
    return _least(Q)


def _leaf(A, P, ok, code):
    """Width of the combinations ``code`` (W,), summed as the search sums it; -inf where not allowed."""
    Q, good, rows = A, np.ones(A.shape[1], dtype=bool), np.arange(A.shape[1])
    sizes = [Pj.shape[2] for Pj in P]
    for j, Pj in enumerate(P):
        v = code // int(np.prod(sizes[j + 1:], dtype=np.int64)) % sizes[j]
        Q, good = Q + Pj[:, rows, v], good & ok[j][rows, v]
    return np.where(good, _least(Q), -np.inf)


def _search(A, P, ok, floor, R):
    """Every leaf whose width may be at least ``floor`` (W,): (world, index, width, slacks (C, m)), by
    world then index."""
    margin = floor - MARGIN * (1.0 + np.abs(np.where(np.isfinite(floor), floor, 0.0)))
    w, code, Q = np.arange(A.shape[1]), np.zeros(A.shape[1], dtype=np.int64), A
    for j, (Pj, okj) in enumerate(zip(P, ok)):
        V = Pj.shape[2]
        parts = []
        step = max(1, PAIRS // V)
        for s in range(0, len(w), step):
            ws = w[s:s + step]
            cand = Q[:, s:s + step, None] + Pj[:, ws]                              # (C, p, V)
            bound = _least(cand + R[j + 1][:, ws, None])
            p, v = np.nonzero(okj[ws] & (bound >= margin[ws][:, None]))
            parts.append((ws[p], code[s:s + step][p] * V + v, cand[:, p, v]))
        w, code = np.concatenate([x[0] for x in parts]), np.concatenate([x[1] for x in parts])
        Q = np.concatenate([x[2] for x in parts], axis=1)
    return w, code, _least(Q), Q


def _firsts(w):
    """Start of each world's run in ``w`` (sorted, every world present)."""
    return np.r_[0, np.flatnonzero(np.diff(w)) + 1]


def _tops(w, T):
    """Each world's best width among its leaves, and the first leaf that has it."""
    seg = _firsts(w)
    top = np.maximum.reduceat(T, seg)
    hit = np.flatnonzero(T == np.repeat(top, np.diff(np.r_[seg, len(T)])))
    return top, hit[np.r_[True, w[hit][1:] != w[hit][:-1]]]


def _floor(A, P, ok, R, start):
    """A lower bound on each world's best width: the dive's, or the ``start`` combination's if better."""
    floor = _dive(A, P, ok, R, np.arange(A.shape[1]))
    return floor if start is None else np.maximum(floor, _leaf(A, P, ok, start))


def best(A: np.ndarray, P: list[np.ndarray], ok: list[np.ndarray], *, start: np.ndarray | None = None,
         prune: bool = True):
    """Exact best width over the allowed combinations of every world (each with at least one allowed
    level per issue).

    Parameters
    ----------
    A : (C, W) ``H - mu . r``, candidates first;  P : :func:`level_tables`;  ok : :func:`shared_levels`.
    start : (W,) a combination per world to bound with (last round's best), keyword-only.
    prune : False to bound nothing (every allowed combination is summed), keyword-only.

    Returns
    -------
    t : (W,) width;  combo : (W,) the first best combination;  cert : (W,) its minimising candidate.
    """
    if not P:
        return _least(A), np.zeros(A.shape[1], dtype=int), A.argmin(axis=0)
    R = _suffix(P, ok)
    lb = _floor(A, P, ok, R, start) if prune else np.full(A.shape[1], -np.inf)
    w, code, T, Q = _search(A, P, ok, lb, R)
    top, first = _tops(w, T)
    return top, code[first], Q[:, first].argmin(axis=0)


def near(A: np.ndarray, P: list[np.ndarray], ok: list[np.ndarray], *, start: np.ndarray | None = None,
         widest: bool = False, margin: float = 1e-7, open_tol: float = 1e-9):
    """The combinations a deal may use: width at least ``t - margin`` with ``widest``, else at least
    ``min(t, -open_tol) - margin``, for ``t`` each world's best width. Returns (world, combination index),
    sorted by world then index (every world has at least its best)."""
    if not P:
        return np.arange(A.shape[1]), np.zeros(A.shape[1], dtype=np.int64)
    R = _suffix(P, ok)
    floor_of = (lambda t: t - margin) if widest else (lambda t: np.minimum(t, -open_tol) - margin)
    w, code, T, _ = _search(A, P, ok, floor_of(_floor(A, P, ok, R, start)), R)
    keep = T >= floor_of(_tops(w, T)[0])[w]
    return w[keep], code[keep]


@dataclass
class DealTables:
    """What a protocol reads for worlds ``idx``: ``mu``, ``B``, ``feasible`` and ``L`` (the levels part of
    the utilities) over the combinations ``sel`` (len(idx), combos) of each world (all of them, in order,
    where ``sel`` is None)."""

    idx: np.ndarray
    mu: np.ndarray
    B: np.ndarray
    feasible: np.ndarray
    L: np.ndarray
    sel: np.ndarray | None = None

    def take(self, rows) -> "DealTables":
        """The same tables for the worlds ``idx[rows]``."""
        pick = lambda a: None if a is None else a[rows]
        return DealTables(*(pick(a) for a in (self.idx, self.mu, self.B, self.feasible, self.L, self.sel)))

    def combos(self, local: np.ndarray) -> np.ndarray:
        """Index among all combinations of each world's column ``local`` (-1 stays -1)."""
        if self.sel is None:
            return local
        return np.where(local >= 0, self.sel[np.arange(len(local)), np.maximum(local, 0)], -1)


def tables(idx, w, code, combos, mu, H, w_level, level_vals) -> DealTables:
    """Deal tables of worlds ``idx`` over their own combinations ``code`` (of world ``w``, positions in
    ``idx``, sorted by world then index), each world's row padded with its first (not feasible)."""
    count = np.bincount(w, minlength=len(idx))
    start = np.cumsum(count) - count
    pos = np.arange(len(w)) - np.repeat(start, count)
    sel = np.repeat(code[start][:, None], count.max(), axis=1)
    sel[w, pos] = code
    feasible = np.zeros(sel.shape, dtype=bool)
    feasible[w, pos] = True
    lv = combos[sel]                                                                     # (m, K, kl)
    L = sum(w_level[:, None, :, j] * np.moveaxis(vals[:, lv[..., j]], 0, 2) for j, vals in enumerate(level_vals))
    B = H[:, None, :] + L @ np.swapaxes(mu, 1, 2)
    return DealTables(idx, mu, B, feasible, L, sel)


def split(idx, w, code, zone, *, rows: int):
    """:func:`tables` of worlds ``idx`` of ``zone`` over the combinations ``code`` of each, in parts of at
    most about ``rows`` (world, combination) rows."""
    step = max(1, rows // int(np.bincount(w).max()))
    wd = zone.worlds
    for q in range(0, len(idx), step):
        keep = (w >= q) & (w < q + step)
        sub = idx[q:q + step]
        yield tables(sub, w[keep] - q, code[keep], zone.combos, zone.mu[sub], zone.support_values(sub), wd.w_level[sub],
                     wd.level_vals)
