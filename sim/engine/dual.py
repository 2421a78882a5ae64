"""The pieces of the ZOPA's LP dual as plain functions on arrays of worlds: the common box of the red lines,
the support function ``H`` at the dual candidates, the levels combinations' utilities and feasibility, the
width with its certificate, and the actors blocking a closed zone. The duality they rest on is set out in
:mod:`sim.engine.solver`, whose :class:`~sim.engine.solver.Zone` holds their tables from round to round.
"""

from __future__ import annotations

import itertools

import numpy as np

from .linalg import fold
from .linalg import mv as _mv

__all__ = ["NEG", "TOL", "common_box", "clipped_points", "support", "level_combos", "combo_utilities",
           "combos_allowed", "combo_feasible", "width", "redline_conflicts", "blocking_mask"]

NEG = -np.inf
TOL = 1e-12


def common_box(red_lo: np.ndarray, red_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intersection of every actor's red-line interval on each range issue: (W, kc) each."""
    return fold(np.maximum, red_lo, 1), fold(np.minimum, red_hi, 1)


def clipped_points(ideal: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Candidate outcomes per issue: each actor's ideal clipped into the box, (W, kc, n)."""
    return np.clip(ideal.transpose(0, 2, 1), a[:, :, None], np.maximum(a, b)[:, :, None])


def support(mu: np.ndarray, vc: np.ndarray) -> np.ndarray:
    """H(mu) = sum_k max_j mu.v_kj over the clipped candidate points: (W, C)."""
    if vc.shape[1] == 0:
        return np.zeros(mu.shape[:2])
    W, kc, J, n = vc.shape
    uv = (mu @ vc.transpose(0, 3, 1, 2).reshape(W, n, kc * J)).reshape(W, mu.shape[1], kc, J)
    # the maximum over points one point at a time and the sum over issues one issue at a time, as fold and
    # add_last take them (the same values as numpy's reductions): a call or two per issue on few worlds
    H = None
    for k in range(kc):
        f = uv[:, :, k, 0]
        if J > 1:
            f = np.maximum(f, uv[:, :, k, 1])
            for j in range(2, J):
                np.maximum(f, uv[:, :, k, j], out=f)
        if H is None:
            H = f + 0.0
        else:
            H += f
    return H                                                                          # (no world: (0, C))


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
    ok = combos_allowed([fold(np.logical_and, mask, 1) for mask in allowed], combos, a.shape[0])
    return ok & fold(np.logical_and, a <= b + TOL, 1)[:, None]


def combos_allowed(every: list[np.ndarray], combos: np.ndarray, W: int) -> np.ndarray:
    """Whether every level of each combination is allowed by all actors, from the levels all of them allow on
    each levels issue (``every``: (W, levels) each): (W, combos)."""
    ok = np.ones((W, len(combos)), dtype=bool)
    for j, shared in enumerate(every):
        ok &= shared[:, combos[:, j]]
    return ok


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
    T = np.where(feasible, fold(np.minimum, vals, 2), NEG)
    combo = T.argmax(axis=1)
    rows = np.arange(len(T))
    return T[rows, combo], combo, vals[rows, combo].argmin(axis=1)


def redline_conflicts(red_lo, red_hi, allowed, a, b) -> np.ndarray:
    """Bit mask of the actors whose red lines leave no common outcome (0 where some outcome remains)."""
    W, n, _ = red_lo.shape
    bad = a > b + TOL                                                         # (W, kc)
    conflict = ((red_lo >= a[:, None, :] - TOL) & (red_lo > fold(np.minimum, red_lo, 1)[:, None])) | \
               ((red_hi <= b[:, None, :] + TOL) & (red_hi < fold(np.maximum, red_hi, 1)[:, None]))
    m = fold(np.logical_or, conflict & bad[:, None, :], 2)
    for al in allowed:
        none = ~fold(np.logical_or, fold(np.logical_and, al, 1), 1)            # no level allowed by all
        m |= none[:, None] & ~fold(np.logical_and, al, 2)
    return m @ (1 << np.arange(n))


def blocking_mask(mu, cert, t, feasible, conflicts) -> np.ndarray:
    """Actors blocking a closed ZOPA as a bit mask: the support of the dual certificate, or, where the
    red lines themselves leave no outcome, the actors whose red lines conflict."""
    W, C, n = mu.shape
    support_bits = (mu[np.arange(W), cert] > 1e-9) @ (1 << np.arange(n))
    return np.where(feasible.any(axis=1), np.where(t < 0, support_bits, 0), conflicts)
