"""The Nash point of many worlds from their candidate points, by an interior-point method on its dual.

For one levels combination the feasible gains over reservation are ``{c + V lam - d : d >= 0}``, with
``lam_k`` in the simplex for every range issue ``k``, ``V`` the utilities of the clipped candidate points
(rows ``v_kj``, J per issue) and ``c = L - r``: the same polytope the ZOPA solver reads through its dual
vertices (:mod:`sim.engine.solver`). Nash (1950) maximises ``sum_i log g_i`` over it; its Lagrange dual
(the conjugate of the logarithm, Boyd and Vandenberghe 2004, sec. 5.1.6) is

    min  sum_k s_k + mu.c - sum_i log mu_i - n   s.t.  mu.v_kj <= s_k  (every issue k and point j),

smooth in ``n + kc`` variables; its constraints' multipliers are the weights ``lam`` and ``mu_i = 1/g_i``
at the optimum. A primal-dual path-following method with Mehrotra's (1992) predictor-corrector solves it
for every world at once, each Newton step an n x n system once the issues' ``s_k`` are eliminated (Wright
1997, ch. 11). Only the candidate points enter, never a list of facets: the work follows actors, issues and
live worlds, not how many facets a world has met. Every answer is certified by its duality gap: the
weights give a feasible point ``g = c + V lam`` (a convex combination of candidate points, so terms exist
for it), the prices ``mu`` an upper bound through the exact support function, and a world whose gap
exceeds ``GAP`` is reported unsolved. Each world iterates and stops on its own, so its answer does not
depend on which other worlds share the batch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["nash_points", "nash_weights", "GAP"]

GAP = 1e-9          # largest certified loss in sum log g (the log of the Nash product) of an accepted point
STOP = 1e-12        # a world stops once its certified gap is below this (or below GAP and not improving)
MAXIT = 80


def nash_points(points: np.ndarray, c: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nash gains ``g`` maximising ``sum log g`` over ``{c + sum_k V_k lam_k}``, per world.

    Parameters
    ----------
    points : (W, kc, J, n) utilities of the candidate points of each range issue (kc >= 1).
    c : (W, n) levels utilities less reservations.
    scale : (W,) a positive gain every actor can have at once (the ZOPA width): the problem is solved in
        units of it, which the Nash point does not depend on (Nash 1950, invariance to scale).

    Returns
    -------
    g : (W, n) the gains, a feasible point; ok : (W,) whether its duality gap is at most ``GAP``.
    """
    g, _, ok = nash_weights(points, c, scale)
    return g, ok


def nash_weights(points: np.ndarray, c: np.ndarray, scale: np.ndarray):
    """:func:`nash_points` with the weights that give each point: ``(g, lam, ok)``, ``lam`` (W, kc, J) on
    the simplex of every issue and ``g = c + sum_kj lam_kj points_kj`` (to rounding)."""
    W, kc, J, n = points.shape
    V = points.reshape(W, kc * J, n) / scale[:, None, None]
    c = c / scale[:, None]
    g = np.zeros((W, n))
    lam = np.zeros((W, kc * J))
    gap = np.full(W, np.inf)
    state = _start(V, kc)
    todo = np.arange(W)
    for _ in range(MAXIT):
        g_t, lam_t, gap_t = _certify(V, c, state, kc)
        better = gap_t < gap[todo]
        g[todo[better]], lam[todo[better]], gap[todo[better]] = g_t[better], lam_t[better], gap_t[better]
        go = (gap_t > STOP) & (better | (gap[todo] > GAP))    # done, or certified and no longer improving
        if not go.all():
            todo, V, c = todo[go], V[go], c[go]
            state = tuple(x[go] for x in state)
        if not len(todo):
            break
        state = _step(V, c, state, kc)
    return g * scale[:, None], lam.reshape(W, kc, J), gap <= GAP


def _start(V, kc):
    """Prices and gains 1 (the point of equal unit gains is feasible), issue values 1 above the largest,
    weights uniform."""
    W, m, n = V.shape
    mu = np.ones((W, n))
    s = (V @ mu[:, :, None])[..., 0].reshape(W, kc, -1).max(axis=2) + 1.0
    z = np.repeat(s, m // kc, axis=1) - (V @ mu[:, :, None])[..., 0]
    lam = np.full((W, m), kc / m)
    return mu, s, lam, z, np.ones((W, n))


def _certify(V, c, state, kc):
    """The feasible point the weights give, those weights (on each issue's simplex) and the gap to the dual
    bound at the prices: (g, weights, gap)."""
    mu, s, lam, z, _ = state
    W, m, n = V.shape
    w = np.clip(lam, 0.0, None).reshape(W, kc, -1)
    w = (w / np.where(w.sum(axis=2, keepdims=True) > 0, w.sum(axis=2, keepdims=True), 1.0)).reshape(W, m)
    g = c + (w[:, None, :] @ V)[:, 0]
    H = (V @ mu[:, :, None])[..., 0].reshape(W, kc, -1).max(axis=2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        primal = np.where((g > 0).all(axis=1), np.log(np.where(g > 0, g, 1.0)).sum(axis=1), -np.inf)
        dual = H + (mu * c).sum(axis=1) - np.log(mu).sum(axis=1) - n
    return g, w, np.where(np.isfinite(primal), dual - primal, np.inf)


def _step(V, c, state, kc):
    """One predictor-corrector step (Mehrotra 1992) for every world of the batch.

    The gains ``g`` are kept as variables with ``mu g = 1`` linearised symmetrically (as a complementarity
    pair with target 1), rather than ``1/mu`` linearised alone, whose full steps can cycle."""
    mu, s, lam, z, g = state
    W, m, n = V.shape
    J = m // kc
    r_g = c + (lam[:, None, :] @ V)[:, 0] - g
    r_s = 1.0 - lam.reshape(W, kc, J).sum(axis=2)
    r_p = (V @ mu[:, :, None])[..., 0] - np.repeat(s, J, axis=1) + z
    w = lam / z
    Vw = V * w[:, :, None]
    A = Vw.reshape(W, kc, J, n).sum(axis=2)                                  # (W, kc, n)
    d = w.reshape(W, kc, J).sum(axis=2)                                      # (W, kc)
    K = np.swapaxes(V, 1, 2) @ Vw - np.swapaxes(A, 1, 2) @ (A / d[:, :, None])
    K[:, np.arange(n), np.arange(n)] += g / mu
    K = _inverse(K)                                                          # SPD, n x n: two solves use it

    def direction(r_c, r_n):
        e = (lam * r_p - r_c) / z
        Se = e.reshape(W, kc, J).sum(axis=2)
        rhs = -r_g - r_n / mu - (e[:, None, :] @ V)[:, 0] + (((Se - r_s) / d)[:, None, :] @ A)[:, 0]
        dmu = (K @ rhs[:, :, None])[..., 0]
        ds = ((A @ dmu[:, :, None])[..., 0] - r_s + Se) / d
        dlam = w * ((V @ dmu[:, :, None])[..., 0] - np.repeat(ds, J, axis=1)) + e
        dz = -(r_c + z * dlam) / lam
        dg = -(r_n + g * dmu) / mu
        return dmu, ds, dlam, dz, dg

    gap = (lam * z).sum(axis=1) / m
    aff = direction(lam * z, mu * g - 1.0)
    a = np.minimum(1.0, _longest(state, aff))
    gap_aff = ((lam + a[:, None] * aff[2]) * (z + a[:, None] * aff[3])).sum(axis=1) / m
    sigma = np.clip(gap_aff / gap, 0.0, 1.0) ** 3
    step = direction(lam * z + aff[2] * aff[3] - (sigma * gap)[:, None], mu * g - 1.0 + aff[0] * aff[4])
    a = np.minimum(1.0, 0.995 * _longest(state, step))
    a = np.where(np.isfinite(a), a, 0.0)                 # a singular system: the world stays where it is
    return tuple(x + a[:, None] * np.nan_to_num(dx) for x, dx in zip(state, step))


def _inverse(K):
    """Inverse of symmetric positive definite matrices, scaled to a unit diagonal first (the weights of
    nearly binding points grow without bound near the optimum); nan where one is singular."""
    d = 1.0 / np.sqrt(np.abs(np.diagonal(K, axis1=1, axis2=2)))
    Ks = K * d[:, :, None] * d[:, None, :]
    Ks[~np.isfinite(Ks).all(axis=(1, 2))] = np.nan
    try:
        out = np.linalg.inv(Ks)
    except np.linalg.LinAlgError:                     # rare: one world at a time, to find it
        out = np.stack([_inverse_one(k) for k in Ks]) if len(Ks) else Ks
    return out * d[:, :, None] * d[:, None, :]


def _inverse_one(k):
    try:
        return np.linalg.inv(k)
    except np.linalg.LinAlgError:
        return np.full(k.shape, np.nan)


def _longest(state, step):
    """Step to the boundary along ``step``: the largest keeping mu, lam and z positive (inf if none ends)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = [np.where(dx < 0, -x / dx, np.inf).min(axis=1) for j, (x, dx) in enumerate(zip(state, step))
                  if j != 1]
    return np.minimum.reduce(ratios)
