"""Bargaining solutions as plain functions on arrays of worlds, in utility space.

The feasible utilities of one levels combination ``l`` are the polytope
``P_l = {y : mu_c . y <= B[l, c] for every dual candidate c}`` (with free disposal), read off the same
dual vertices the ZOPA solver uses; ``B`` is (W, combos, C), the solver's layout. Each function takes the
worlds that strike a deal this round and returns (utilities (W, n), levels combination (W,)).
:mod:`.protocols` wraps them as registered protocols.
"""

from __future__ import annotations

import functools

import numpy as np

from .linalg import fold, fold_last, mtv as _mtv, mv as _mv, solve as _solve
from .nashpoint import nash_on_segments, nash_weights

__all__ = ["EPS", "combo_widths", "holding", "ideal_gains", "pick", "egalitarian", "kalai_smorodinsky", "nash",
           "alternating_offers"]

EPS = 1e-10


def combo_widths(mu, B, feasible, r):
    """ZOPA width of every levels combination: (W, combos); -inf where infeasible."""
    vals = B - _mv(mu, r)[:, None, :]
    return np.where(feasible, fold_last(np.minimum, vals), -np.inf)


def holding(mu, B, feasible, y, combo, *, tol=1e-9):
    """Levels combinations whose feasible utilities hold y (to ``tol``, relative), the chosen ``combo``
    always among them: (W, combos) bool."""
    if B.shape[1] == 1:                  # the one combination is the chosen one
        return np.ones((len(combo), 1), dtype=bool)
    slack = B - _mv(mu, y)[:, None, :]
    ok = feasible & (slack >= -tol * (1.0 + np.abs(B))).all(axis=2)
    ok[np.arange(len(combo)), combo] = True
    return ok


def pick(B, combo):
    return np.take_along_axis(B, combo[:, None, None], axis=1)[:, 0]


def egalitarian(mu, B, feasible, r, **_):
    """Kalai (1977): the largest equal gain for every actor. Returns (utilities, combo)."""
    T = combo_widths(mu, B, feasible, r)
    combo = T.argmax(axis=1)
    t = T[np.arange(len(T)), combo]
    return r + t[:, None], combo


def ideal_gains(mu, B_l, r):
    """Each actor's largest gain in P_l with the others at their reservation: (W, n)."""
    s = B_l - _mv(mu, r)                                 # (W, C)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(mu > EPS, s[:, :, None] / mu, np.inf)
    return q.min(axis=1)


def kalai_smorodinsky(mu, B, feasible, r, **_):
    """Kalai & Smorodinsky (1975): the maximal point on the line from the disagreement point to the
    ideal point, the ideal taken over the ZOPA (all levels combinations with a non-empty ZOPA)."""
    T = combo_widths(mu, B, feasible, r)
    W, L, C = B.shape
    zone = T >= np.minimum(-EPS, T.max(axis=1, keepdims=True))    # the widest, if open only to the solver's
    ideal = np.full(r.shape, -np.inf)                               # tolerance
    for l in range(L):
        ideal = np.where(zone[:, l, None], np.maximum(ideal, ideal_gains(mu, B[:, l], r)), ideal)
    lam = np.full((W, L), -np.inf)
    for l in range(L):
        denom = _mv(mu, ideal)
        s = B[:, l] - _mv(mu, r)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(denom > EPS, s / denom, np.inf)
        lam[:, l] = np.where(zone[:, l], ratio.min(axis=1), -np.inf)
    combo = lam.argmax(axis=1)
    best = lam[np.arange(W), combo]
    best = np.where(np.isfinite(best), best, 0.0)
    return r + best[:, None] * ideal, combo


def _nash_facets(mu, B_l, r):
    """Nash point of each facet's half-space, kept where it lies in P_l: (W, n), nan where none."""
    W, C, n = mu.shape
    s = B_l - _mv(mu, r)                                 # (W, C)
    inner = fold_last(np.logical_and, mu > EPS) & (s > EPS)
    if not inner.any():
        return np.full((W, n), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(inner[:, :, None], s[:, :, None] / (n * mu), np.nan)     # (W, C, n)
    y = r[:, None, :] + g
    slack = B_l[:, None, :] - y @ np.swapaxes(mu, 1, 2)                      # (W, C, C)
    # the least slack at least the bound: every slack is (a nan in none, for a nan is never at least it)
    good = inner & (slack >= -1e-12 * (1 + np.abs(B_l).max(axis=1)[:, None, None])).all(axis=2)
    if not good.any():                                   # the usual case: no facet's point is the answer
        return np.full((W, n), np.nan)
    return np.where(good.any(axis=1)[:, None], g[np.arange(W), good.argmax(axis=1)], np.nan)


def _nash_barrier(M, s, t):
    """Batched Nash points: max sum log g s.t. M g <= s, by a damped-Newton barrier path.

    Maximises ``tau * sum log g + sum log(s - M g)`` for tau = 1, 10, ..., 1e12 by Newton steps with a
    line search that keeps every iterate strictly feasible, then polishes with Newton on the KKT system of the constraints
    left active. Shapes: M (W, C, n), s (W, C), t (W,) the egalitarian gain (> 0) used to start.
    """
    W, C, n = M.shape
    g = np.repeat(0.5 * t[:, None], n, axis=1)
    steps = np.array([1.0, 0.5, 0.25, 0.1, 0.03, 0.01, 0.0])
    for tau in 10.0 ** np.arange(0, 13):
        for _ in range(10):
            slack = s - _mv(M, g)
            grad = tau / g - _mtv(M, 1.0 / slack)
            hess = -tau * np.eye(n) / g[:, :, None] ** 2 - (np.swapaxes(M, 1, 2) * slack[:, None, :] ** -2.0) @ M
            d = np.linalg.solve(-hess, grad[..., None])[..., 0]
            trial = g[:, None, :] + steps[None, :, None] * d[:, None, :]             # (W, steps, n)
            tslack = s[:, None, :] - trial @ np.swapaxes(M, 1, 2)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = tau * np.log(trial).sum(axis=2) + np.log(tslack).sum(axis=2)
            value = np.where((trial > 0).all(axis=2) & (tslack > 0).all(axis=2), value, -np.inf)
            g = trial[np.arange(W), value.argmax(axis=1)]
    return _kkt_polish(M, s, g)


def _kkt_polish(M, s, g):
    """Newton on 1/g = M_A^T nu, M_A g = s_A over the active constraints A; kept only if it checks out."""
    W, C, n = M.shape
    slack = s - _mv(M, g)
    scale = 1.0 + np.abs(s).max(axis=1, keepdims=True)
    same = (np.abs(M[:, :, None, :] - M[:, None, :, :]).max(axis=3) < 1e-15) & np.tri(C, k=-1, dtype=bool)
    act = (slack < 1e-6 * scale) & ~same.any(axis=2)          # padding repeats a row: keep its first copy
    nu = np.zeros((W, C))
    x = g.copy()
    for _ in range(5):
        F = np.concatenate([1.0 / x - _mtv(M, nu),
                            np.where(act, s - _mv(M, x), -nu)], axis=1)
        J = np.zeros((W, n + C, n + C))
        J[:, :n, :n] = -np.eye(n) / x[:, :, None] ** 2
        J[:, :n, n:] = -np.swapaxes(M, 1, 2)
        J[:, n:, :n] = np.where(act[..., None], -M, 0.0)
        J[:, n:, n:] = np.where(act[..., None], 0.0, -np.eye(C))
        step = _solve(J, -F)
        x, nu = x + step[:, :n], nu + step[:, n:]
    ok = (x > 0).all(axis=1) & ((s - _mv(M, x)) >= -1e-12 * scale).all(axis=1) \
        & (nu >= -1e-9).all(axis=1) & (np.abs(1.0 / x - _mtv(M, nu)) < 1e-8 / x).all(axis=1)
    return np.where(ok[:, None], x, g)


def nash(mu, B, feasible, r, *, points=None, level_utils=None, weights=False, **_):
    """Nash (1950): maximise the product of gains over reservation, over every levels combination.

    With the candidate points of the range issues (``points``, (W, kc, j, n)) and the levels utilities
    (``level_utils``, (W, combos, n)): while the polytope has at most ``SEGMENT_MAX`` vertices, solutions
    inside one facet, on vertices and on edges are found in closed form, and the rest by the interior-point
    method of :mod:`.nashpoint` on the candidate points; beyond, that method solves every world, from the
    candidate points alone (the facets ``mu`` a world has met are not read). Without candidate points, and
    where that method cannot certify its answer, a barrier method on the facets with a KKT polish.

    Returns (utilities, combo); with ``weights``, also the interior-point method's weights of the candidate
    points that give each point in its combination, (W, kc, j), nan for worlds solved otherwise.
    """
    T = combo_widths(mu, B, feasible, r)
    W, L, C = B.shape
    n = r.shape[1]
    best_g = np.zeros((W, n))
    best_lam = np.full((W,) + (points.shape[1:3] if points is not None else (0, 0)), np.nan)
    combo = T.argmax(axis=1)
    open_ = T >= -EPS
    live = open_.any(axis=0).nonzero()[0]
    best_val = np.full(W, -np.inf) if len(live) > 1 else None
    for l in live:
        ok = open_[:, l]
        g, lam = _nash_combo(mu, B[:, l], r, T[:, l], ok, points,
                             None if level_utils is None else level_utils[:, l])
        if len(live) == 1:          # val > -inf below: the gains of the open worlds, with none nan
            better = ~fold(np.logical_or, np.isnan(g), 1)
        else:
            val = np.where(ok, np.log(np.maximum(g, 1e-300)).sum(axis=1), -np.inf)
            val = np.where(ok & (T[:, l] <= EPS), -1e300, val)
            better = val > best_val
            best_val = np.where(better, val, best_val)
        best_g = np.where(better[:, None], g, best_g)
        if lam is not None:
            best_lam[better] = lam[better]
        combo = np.where(better, l, combo)
    return (r + best_g, combo, best_lam) if weights else (r + best_g, combo)


SEGMENT_MAX = 16       # vertices of the polytope up to which its faces are searched in closed form


def _nash_combo(mu, B_l, r, T_l, ok, points, L_l):
    """Nash gains of one levels combination, (W, n): 0 where the zone is only a point, nan where closed;
    and the weights of the candidate points that give them, (W, kc, j), where the interior-point method
    found them (nan elsewhere; None where it did not run)."""
    W, n = r.shape
    g = np.full((W, n), np.nan)           # nan wherever the zone is closed (see nash)
    lam = None
    point = ok & (T_l <= EPS)
    if point.any():
        g[point] = 0.0
    rest = (ok & (T_l > EPS)).nonzero()[0]
    kc = 0 if points is None else points.shape[1]
    small = points is None or points.shape[2] ** kc <= SEGMENT_MAX
    if small:
        rest = _solve_rows(g, rest, _nash_facets, mu, B_l, r)
    if len(rest) and points is not None and small:
        for vertices_only in (True, False):
            rest = _solve_rows(g, rest, functools.partial(nash_on_segments, vertices_only=vertices_only),
                               points, L_l, r)
            if not len(rest):
                break
    if len(rest) and kc:
        g[rest], lam_r, certified = nash_weights(points[rest], L_l[rest] - r[rest], T_l[rest])
        lam = np.full((W,) + points.shape[1:3], np.nan)
        lam[rest[certified]] = lam_r[certified]
        rest = rest[~certified]
    if len(rest):
        s_l = B_l[rest] - _mv(mu[rest], r[rest])
        g[rest] = _nash_barrier(mu[rest], s_l, T_l[rest])
    return g, lam


def _solve_rows(g, rows, method, *arrays):
    """Gains by ``method`` on the ``rows`` of ``arrays`` (increasing), written into ``g``; returns the rows it
    left unsolved (nan). Where the rows are every row, the arrays are read as they are, laid out in order
    as a gather would lay them out (a matrix product's arithmetic can depend on the layout)."""
    every = len(rows) == len(g)
    out = method(*(np.ascontiguousarray(x) if every else x[rows] for x in arrays))
    if every:
        g[...] = out
    else:
        g[rows] = out
    return rows[fold(np.logical_or, np.isnan(out), 1)]


def _best_offer(mu, B, feasible, r, T, proposer, need):
    """Proposer's largest gain when every other actor j gets exactly ``need[:, j]``: (W,), combo."""
    W = B.shape[0]
    others = need.copy()
    others[:, proposer] = 0.0
    s = B - _mv(mu, r + others)[:, None, :]                                  # (W, combos, C)
    m = mu[:, None, :, proposer]
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.where(m > EPS, s / m, np.where(s >= -EPS, np.inf, -np.inf))
    gain = np.where(T >= -EPS, cap.min(axis=2), -np.inf)
    combo = gain.argmax(axis=1)
    return gain[np.arange(W), combo], combo


def _offer_round(mu, B, feasible, r, T, V, discount):
    """Every proposer's best offer given the others' current offers: V[i] -> (new V, combos)."""
    n = r.shape[1]
    new = np.empty_like(V)
    combos = np.zeros(V.shape[:2], dtype=int)
    for i in range(n):
        need = discount * V[(i + 1) % n]
        g, combos[i] = _best_offer(mu, B, feasible, r, T, i, need)
        new[i] = need
        new[i][:, i] = np.maximum(g, 0.0)
    return new, combos


NEWTON_ACTORS = 8      # beyond, a Newton step (n^2 evaluations of the map) costs more than plain iterations


def alternating_offers(mu, B, feasible, r, *, discount, **_):
    """Rubinstein (1982), stationary subgame-perfect offers extended to n actors proposing in turn.

    Proposer i offers every responder j its discounted value of the next proposer's offer,
    ``delta_j * V_j(i+1)``, and keeps the rest; the first actor listed proposes first. With two actors
    on a unit surplus the first proposer gets (1 - d2) / (1 - d1 d2).

    The stationary offers are the fixed point of a piecewise-linear contraction whose rate is the
    product of the discounts, slow when they are near 1; after a few plain iterations a damped Newton
    method (with a finite-difference Jacobian, exact on each linear piece) finds it, checked by its
    residual. Worlds where Newton stalls (it can cycle between linear pieces) continue with plain
    iterations. The deal is the first proposer's best offer at the last iterate, so it always comes from
    the proposer's own optimisation, never from an extrapolated Newton point.
    """
    T = combo_widths(mu, B, feasible, r)
    W, n = r.shape

    def step(V, rows=slice(None)):
        return _offer_round(mu[rows], B[rows], feasible[rows], r[rows], T[rows], V, discount[rows])

    V = np.zeros((n, W, n))                                  # V[i]: gains of everyone under i's offer
    for _ in range(50):
        V = step(V)[0]
    todo = np.arange(W) if n <= NEWTON_ACTORS else np.arange(0)
    for _ in range(30):                                      # Newton only where the offers still move
        FV = step(V[:, todo], todo)[0]
        moving = _residual(V[:, todo], FV) >= 1e-14
        todo, FV = todo[moving], FV[:, moving]
        if not len(todo):
            break
        V[:, todo] = _newton_fixed_point(lambda U, rows=todo: step(U, rows), V[:, todo], FV)
    V = _plain_iterations(step, V)
    FV, combos = step(V)
    return r + FV[0], combos[0]


def _residual(V, FV):
    """Largest change of any offer under one more round, per world: (W,)."""
    return np.abs(FV - V).max(axis=(0, 2))


def _plain_iterations(step, V, *, tol=1e-13, limit=20_000):
    """Plain fixed-point iterations for the worlds whose residual is above ``tol``: slow, but sure
    wherever the map contracts."""
    todo = np.where(_residual(V, step(V)[0]) > tol)[0]
    V = V.copy()
    sub = V[:, todo]
    for _ in range(limit):
        if not len(todo):
            break
        new = step(sub, todo)[0]
        moving = _residual(sub, new) > tol
        V[:, todo] = new
        todo, sub = todo[moving], new[:, moving]
    return V


def _newton_fixed_point(step, V, FV):
    """One damped Newton step for V = F(V), per world: the full step, shorter ones or F(V) itself,
    whichever leaves the smallest residual."""
    n, W, _ = V.shape
    m = n * n
    flat = V.transpose(1, 0, 2).reshape(W, m)
    J = np.empty((W, m, m))
    h = 1e-7
    for j in range(m):
        bumped = flat.copy()
        bumped[:, j] += h
        Fb = step(bumped.reshape(W, n, n).transpose(1, 0, 2))[0].transpose(1, 0, 2).reshape(W, m)
        J[:, :, j] = (Fb - FV.transpose(1, 0, 2).reshape(W, m)) / h
    A = np.eye(m) - J
    ok = np.abs(np.linalg.det(A)) > 1e-12
    d = np.zeros((W, m))
    if ok.any():
        d[ok] = np.linalg.solve(A[ok], _res_vector(V, FV)[ok][..., None])[..., 0]
    best, best_res = FV, _residual(FV, step(FV)[0])
    for t in (1.0, 0.5, 0.25):
        trial = (flat + t * d).reshape(W, n, n).transpose(1, 0, 2)
        trial_res = _residual(trial, step(trial)[0])
        take = ok & (trial_res < best_res)
        best = np.where(take[None, :, None], trial, best)
        best_res = np.where(take, trial_res, best_res)
    return best


def _res_vector(V, FV):
    """F(V) - V flattened per world: (W, n * n)."""
    W = V.shape[1]
    return (FV - V).transpose(1, 0, 2).reshape(W, -1)
