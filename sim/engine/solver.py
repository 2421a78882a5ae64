"""The exact zone of possible agreement, for every world at once.

The width of the ZOPA is the value of the max-min linear programme

    t* = max_x min_i (u_i(x) - r_i)   over outcomes x inside every red line,

and by LP duality (the minimax theorem) it equals

    t* = max over levels combinations l of  min_{mu in simplex} [ H(mu) + mu.(L_l - r) ],

where ``H(mu) = sum_k max_{x_k in box_k} sum_i mu_i u_ik(x_k)`` is the support function of the
divisible issues and ``L_l`` the utilities of the indivisible (levels) issues. ``H`` is convex and
piecewise linear; its kinks lie on hyperplanes ``mu.(v_j - v_j') = 0`` between adjacent ideals on
each issue, which depend only on weights and ideals (clipping to red lines only merges cells). The
minimum over the simplex is therefore attained at a vertex of that arrangement, so the vertices are
enumerated once per (weights, ideals) and every round costs a matrix product and a minimum. Each
candidate ``mu`` gives an upper bound (weak duality) and the best one is exact.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .linalg import mtv as _mtv, mv as _mv, regular
from .utility import issue_values

__all__ = [
    "Zone", "Verdict", "NEG", "dual_candidates", "support", "level_combos", "combo_utilities", "combo_feasible",
    "common_box", "clipped_points", "point_utilities", "width", "blocking_mask", "redline_conflicts",
]

NEG = -np.inf
TOL = 1e-12


def common_box(red_lo: np.ndarray, red_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intersection of every actor's red-line interval on each range issue: (W, kc) each."""
    return red_lo.max(axis=1), red_hi.min(axis=1)


def clipped_points(ideal: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Candidate outcomes per issue: each actor's ideal clipped into the box, (W, kc, n)."""
    p = np.swapaxes(ideal, 1, 2)
    return np.clip(p, a[:, :, None], np.maximum(a, b)[:, :, None])


def point_utilities(w: np.ndarray, ideal: np.ndarray, span: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Weighted value to actor i of candidate point j on issue k: (W, kc, j, i)."""
    # issue_values takes outcomes (..., kc) and actors (..., n, kc); here each candidate j is an outcome
    v = issue_values(np.moveaxis(p, 2, 1), w[:, None], ideal[:, None], span[:, None])   # (W, j, n, kc)
    return np.moveaxis(v, 3, 1)


def _hyperplanes(vu: np.ndarray, ideal: np.ndarray) -> list[np.ndarray]:
    """Normals of the kink hyperplanes of one world's support function (adjacent ideals per issue)."""
    planes = []
    for k in range(vu.shape[0]):
        order = np.argsort(ideal[:, k], kind="stable")
        pos = ideal[order, k]
        reps = [order[0]] + [order[j] for j in range(1, len(order)) if pos[j] > pos[j - 1]]
        for j0, j1 in zip(reps, reps[1:]):
            normal = vu[k, j0] - vu[k, j1]
            if np.abs(normal).max() > TOL:
                planes.append((k, j0, j1, normal))
    return planes


def _vertices(w: np.ndarray, ideal: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Dual candidates for one (weights, ideals) configuration: (C, n) points of the simplex."""
    n = w.shape[0]
    vu = point_utilities(w[None], ideal[None], span[None], ideal.T[None])[0]   # (kc, j, i)
    planes = _hyperplanes(vu, ideal)
    normals = [p[3] for p in planes] + list(np.eye(n))
    subsets = np.array(list(itertools.combinations(range(len(normals)), n - 1)), dtype=int)
    if n == 1:
        return np.ones((1, 1))
    rows = np.array(normals)[subsets]                                        # (S, n-1, n)
    A = np.concatenate([rows, np.ones((len(subsets), 1, n))], axis=1)
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    ok = regular(A)
    mu = np.linalg.solve(A[ok], np.broadcast_to(rhs, (ok.sum(), n))[..., None])[..., 0]
    sub = subsets[ok]
    keep = (mu >= -1e-10).all(axis=1)
    mu, sub = np.clip(mu[keep], 0.0, None), sub[keep]
    mu /= mu.sum(axis=1, keepdims=True)
    active = np.ones(len(mu), dtype=bool)
    for h, (k, j0, j1, _) in enumerate(planes):
        uses = (sub == h).any(axis=1)
        vals = mu @ vu[k].T                                                  # (C, j)
        top = vals.max(axis=1)
        active &= ~uses | ((np.abs(vals[:, j0] - top) < 1e-9) & (np.abs(vals[:, j1] - top) < 1e-9))
    mu = mu[active]
    return np.unique(np.round(mu, 13), axis=0) if len(mu) else np.eye(n)


def _batched_vertices(w: np.ndarray, ideal: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Dual candidates for many worlds at once when each has its own (weights, ideals): (W, C, n).

    Hyperplanes are taken between actors adjacent in the order of their ideals on each issue (ties give
    a zero normal and drop out as singular), so every world has the same number of subsets to solve.
    """
    W, n, kc = w.shape
    order = np.argsort(ideal, axis=1, kind="stable")                                  # (W, n, kc)
    pos = np.take_along_axis(ideal, order, axis=1)
    vu = point_utilities(w, ideal, span, np.swapaxes(pos, 1, 2))                     # (W, kc, j sorted, i)
    normals = vu[:, :, :-1, :] - vu[:, :, 1:, :]                                      # (W, kc, n-1, n)
    tops = [(k, j) for k in range(kc) for j in range(n - 1)]
    allp = np.concatenate([normals.reshape(W, kc * (n - 1), n), np.broadcast_to(np.eye(n), (W, n, n))], axis=1)
    subsets = np.array(list(itertools.combinations(range(allp.shape[1]), n - 1)), dtype=int)
    A = np.concatenate([allp[:, subsets], np.ones((W, len(subsets), 1, n))], axis=2)  # (W, S, n, n)
    ok = regular(A)
    A = np.where(ok[..., None, None], A, np.eye(n))
    mu = np.linalg.solve(A, np.broadcast_to(np.eye(n)[-1], A.shape[:-1])[..., None])[..., 0]
    valid = ok & (mu >= -1e-10).all(axis=2)
    vals = (np.clip(mu, 0, None) @ np.moveaxis(vu, 3, 1).reshape(W, n, -1)).reshape(W, -1, kc, n)  # (W,S,kc,j)
    top = vals.max(axis=3)
    for h, (k, j) in enumerate(tops):
        uses = (subsets == h).any(axis=1)
        act = (np.abs(vals[:, :, k, j] - top[:, :, k]) < 1e-9) & (np.abs(vals[:, :, k, j + 1] - top[:, :, k]) < 1e-9)
        valid &= ~uses[None, :] | act
    mu = np.clip(mu, 0, None)
    mu /= np.where(valid, mu.sum(axis=2), 1.0)[..., None]
    rank = np.argsort(~valid, axis=1, kind="stable")
    count = valid.sum(axis=1).max()
    mu = np.take_along_axis(mu, rank[..., None], axis=1)[:, :count]
    valid = np.take_along_axis(valid, rank, axis=1)[:, :count]
    return np.where(valid[..., None], mu, mu[:, :1])                                  # pad with a valid one


def dual_candidates(w: np.ndarray, ideal: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Dual vertices for every world, (W, C, n), computed once per distinct (weights, ideals).

    Any point of the simplex is a valid dual bound, so padding rows repeat a vertex of the same world.
    """
    W, n, kc = w.shape
    if kc == 0:
        return np.broadcast_to(np.eye(n), (W, n, n)).copy()
    key = np.concatenate([w, ideal, span], axis=2).reshape(W, -1)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    subsets = math.comb(kc * (n - 1) + n, n - 1)
    if len(uniq) > 16 and len(uniq) * subsets <= 4_000_000:
        return _batched_vertices(w, ideal, span)
    per = [_vertices(*np.split(u.reshape(n, 3 * kc), 3, axis=1)) for u in uniq]
    cmax = max(len(c) for c in per)
    padded = np.stack([np.concatenate([c, np.repeat(c[:1], cmax - len(c), axis=0)]) for c in per])
    return padded[inverse]


def support(mu: np.ndarray, vc: np.ndarray) -> np.ndarray:
    """H(mu) = sum_k max_j mu.v_kj over the clipped candidate points: (W, C)."""
    if vc.shape[1] == 0:
        return np.zeros(mu.shape[:2])
    W, kc, J, n = vc.shape
    return (mu @ np.moveaxis(vc, 3, 1).reshape(W, n, kc * J)).reshape(W, -1, kc, J).max(axis=3).sum(axis=2)


def level_combos(levels: list[tuple[str, ...]]) -> np.ndarray:
    """Every assignment of one level per levels issue: (combos, kl) indices."""
    if not levels:
        return np.zeros((1, 0), dtype=int)
    return np.array(list(itertools.product(*[range(len(lv)) for lv in levels])), dtype=int)


def combo_utilities(w_level: np.ndarray, level_vals: list[np.ndarray], combos: np.ndarray) -> np.ndarray:
    """Utility each actor gets from the levels part of each combination: (W, combos, n)."""
    W, n, kl = w_level.shape
    out = np.zeros((W, len(combos), n))
    for j in range(kl):
        vals = level_vals[j][:, combos[:, j]].T                              # (combos, n)
        out += w_level[:, None, :, j] * vals[None]
    return out


def combo_feasible(allowed: list[np.ndarray], combos: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each combination lies inside every actor's red lines (and the range box is not empty)."""
    W = a.shape[0]
    ok = np.ones((W, len(combos)), dtype=bool)
    for j, mask in enumerate(allowed):
        ok &= mask.all(axis=1)[:, combos[:, j]]
    box_ok = (a <= b + TOL).all(axis=1)
    return ok & box_ok[:, None]


def width(mu: np.ndarray, B: np.ndarray, feasible: np.ndarray, r: np.ndarray):
    """Exact ZOPA width per world.

    Parameters
    ----------
    mu : (W, C, n) dual candidates;  B : (W, combos, C) = H + mu.L;  feasible : (W, combos);
    r : (W, n) reservations.

    Returns
    -------
    t : (W,) width (``-inf`` where red lines leave no outcome); combo : (W,) best combination;
    cert : (W,) index of the dual certificate (the minimising candidate) for that combination.
    """
    vals = B - _mv(mu, r)[:, None, :]
    T = np.where(feasible, vals.min(axis=2), NEG)
    combo = T.argmax(axis=1)
    rows = np.arange(len(T))
    return T[rows, combo], combo, vals[rows, combo].argmin(axis=1)


def redline_conflicts(red_lo, red_hi, allowed, a, b) -> np.ndarray:
    """Bit mask of the actors whose red lines leave no common outcome (0 where some outcome remains)."""
    W, n, _ = red_lo.shape
    bad = a > b + TOL                                                         # (W, kc)
    conflict = ((red_lo >= a[:, None, :] - TOL) & (red_lo > red_lo.min(axis=1, keepdims=True))) | \
               ((red_hi <= b[:, None, :] + TOL) & (red_hi < red_hi.max(axis=1, keepdims=True)))
    m = (conflict & bad[:, None, :]).any(axis=2)
    for al in allowed:
        none = ~al.all(axis=1).any(axis=1)                                     # no level allowed by all
        m |= none[:, None] & ~al.all(axis=2)
    return m @ (1 << np.arange(n))


def blocking_mask(mu, cert, t, feasible, conflicts) -> np.ndarray:
    """Actors blocking a closed ZOPA as a bit mask: the support of the dual certificate, or, where the
    red lines themselves leave no outcome, the actors whose red lines conflict."""
    W, C, n = mu.shape
    support_bits = (mu[np.arange(W), cert] > 1e-9) @ (1 << np.arange(n))
    return np.where(feasible.any(axis=1), np.where(t < 0, support_bits, 0), conflicts)


@dataclass
class Verdict:
    """The zone of one round, per world: width ``t`` (-inf where red lines leave no outcome), whether it is
    open, the best levels combination, the dual certificate and the blocking actors as a bit mask."""

    t: np.ndarray
    open: np.ndarray
    combo: np.ndarray
    cert: np.ndarray
    blocking: np.ndarray


class Zone:
    """The exact ZOPA of every world: the solver's one entry point.

    Built once for a set of worlds (dual candidates from weights and ideals, levels combinations), it keeps
    what depends on red lines (the common box, the facet table ``B`` of shape (W, combos, C), which
    combinations are feasible) and recomputes it only for worlds marked ``stale`` when their red lines
    move; :meth:`evaluate` then costs one matrix product and a minimum per live world.

    Parameters
    ----------
    worlds : an object with the per-world arrays of :class:`sim.model.worlds.Worlds` (``w_range``, ``ideal``,
        ``span``, ``w_level``, ``level_vals``, ``levels``, ``red_lo``, ``red_hi``, ``allowed``).
    """

    def __init__(self, worlds):
        wd = self.worlds = worlds
        W, kc = wd.ideal.shape[0], wd.ideal.shape[2]
        self.mu = dual_candidates(wd.w_range, wd.ideal, wd.span)                 # (W, C, n)
        self.combos = level_combos(wd.levels)
        self.L = combo_utilities(wd.w_level, wd.level_vals, self.combos)         # (W, combos, n)
        self.muL = self.L @ np.swapaxes(self.mu, 1, 2)                           # (W, combos, C)
        self.box = (np.zeros((W, kc)), np.zeros((W, kc)))
        self.B = np.zeros((W, len(self.combos), self.mu.shape[1]))
        self.feasible = np.zeros((W, len(self.combos)), dtype=bool)
        self.conflicts = np.zeros(W, dtype=int)
        self.stale = np.ones(W, dtype=bool)

    def refresh(self) -> None:
        """Recompute what depends on red lines for the stale worlds."""
        if not self.stale.any():
            return
        w = slice(None) if self.stale.all() else np.where(self.stale)[0]
        wd = self.worlds
        a, b = common_box(wd.red_lo[w], wd.red_hi[w])
        self.box[0][w], self.box[1][w] = a, b
        self.B[w] = support(self.mu[w], self.points(w))[:, None, :] + self.muL[w]
        allowed = [al[w] for al in wd.allowed]
        self.feasible[w] = combo_feasible(allowed, self.combos, a, b)
        self.conflicts[w] = redline_conflicts(wd.red_lo[w], wd.red_hi[w], allowed, a, b)
        self.stale[:] = False

    def points(self, idx) -> np.ndarray:
        """Utilities of the clipped candidate points of every range issue, worlds ``idx``: (W, kc, j, n)."""
        wd = self.worlds
        pts = clipped_points(wd.ideal[idx], self.box[0][idx], self.box[1][idx])
        return point_utilities(wd.w_range[idx], wd.ideal[idx], wd.span[idx], pts)

    def evaluate(self, r: np.ndarray, active: np.ndarray) -> Verdict:
        """The zone for reservations ``r`` (W, n); worlds not ``active`` (settled) are left closed."""
        self.refresh()
        W = len(r)
        live = np.where(active & self.feasible.any(axis=1))[0]
        t = np.full(W, NEG)
        combo = np.zeros(W, dtype=int)
        cert = np.zeros(W, dtype=int)
        t[live], combo[live], cert[live] = width(self.mu[live], self.B[live], self.feasible[live], r[live])
        blocking = np.where(active, blocking_mask(self.mu, cert, t, self.feasible, self.conflicts), 0)
        return Verdict(t, t >= -1e-9, combo, cert, blocking)
