"""The Nash point of many worlds from their candidate points: exactly on the vertices and segments of a
small polytope, or by an interior-point method on its dual.

While the polytope has few vertices (sums of one candidate point per range issue), :func:`nash_on_segments`
searches them and the segments between them, each answer certified exactly by the KKT condition.

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

import functools
import itertools

import numpy as np

from .linalg import add_last, fold_last

__all__ = ["nash_on_segments", "nash_points", "nash_weights", "GAP"]

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


def nash_on_segments(vc, L_l, r, *, vertices_only=False):
    """Nash points certified exactly on the vertices and segments between vertices of P_l, the feasible
    utilities of one levels combination.

    The vertices of P_l are ``L_l`` plus sums of one candidate point per range issue. On each segment the
    product of gains is maximised by bisection on its (decreasing) derivative; a point is the Nash point
    iff it maximises ``mu . y`` over P_l for ``mu = 1/g`` (the KKT condition), which is checked exactly
    with the support function.

    Parameters
    ----------
    vc : (W, kc, J, n) utilities of the candidate points of each range issue.
    L_l : (W, n) utilities of the levels part.
    r : (W, n) reservations.
    vertices_only : search the vertices alone.

    Returns
    -------
    Gains over ``r`` (W, n), nan where no vertex or segment holds the solution (a higher face).
    """
    W, kc, J, n = vc.shape
    tuples, pairs = _vertex_pairs(kc, J, vertices_only)
    verts = L_l[:, None, :] + _vertex_sums(vc, tuples) if kc else L_l[:, None, :]
    if not len(pairs):                                   # a single vertex has no segments
        return np.full((W, n), np.nan)
    if vertices_only:
        # each vertex paired with itself: the bisection would end at s = 1/2 on d = 0 (nan where not finite)
        g = (verts - r[:, None, :]) + 0.5 * (verts - verts)
        g = np.where((g > 0).all(axis=2, keepdims=True), g, np.nan)
    else:
        a = verts[:, pairs[:, 0]] - r[:, None, :]                                 # (W, P, n)
        g = _segment_maxima(a, verts[:, pairs[:, 1]] - verts[:, pairs[:, 0]])
    return _kkt_pick(g, vc, L_l, r)


def _vertex_sums(vc, tuples):
    """``sum(vc[:, k, tuples[:, k], :] for k in range(kc))``, (W, V, n): the same sums in the same order
    (from 0.0, as ``sum`` starts), in place."""
    out = np.take(vc[:, 0], tuples[:, 0], axis=1)
    out += 0.0
    for k in range(1, vc.shape[1]):
        out += np.take(vc[:, k], tuples[:, k], axis=1)
    return out


@functools.lru_cache(maxsize=None)
def _vertex_pairs(kc, J, vertices_only):
    """The candidate point of each issue that makes each vertex of P_l, (V, kc), and the pairs of vertices
    whose segments are searched, (P, 2): every vertex with itself for ``vertices_only``. Read-only."""
    combos = list(itertools.product(range(J), repeat=kc))
    tuples = np.array(combos, dtype=int).reshape(len(combos), kc)
    V = len(tuples)
    pairs = np.array([(p, p) for p in range(V)] if vertices_only else
                     [(p, q) for p in range(V) for q in range(p + 1, V)], dtype=int).reshape(-1, 2)
    tuples.flags.writeable = pairs.flags.writeable = False
    return tuples, pairs


def _segment_maxima(a, d):
    """Gains (W, P, n) at the point of each segment ``a + s d``, ``s`` in [0, 1], where the product of gains
    is largest (bisection on its derivative), nan where no point of it has every gain positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = -a / d
        lo = np.maximum(np.where(d > 0, cut, -np.inf).max(axis=2), 0.0)
        hi = np.minimum(np.where(d < 0, cut, np.inf).min(axis=2), 1.0)
        usable = (lo < hi) | ((a > 0).all(axis=2))
        s = np.full(lo.shape, np.nan)
        s[usable] = _bisect_distinct(a[usable], d[usable], lo[usable], hi[usable])
        g = a + s[..., None] * d
    return np.where(usable[..., None] & (g > 0).all(axis=2, keepdims=True), g, np.nan)


SCALAR_SEGMENTS = 16   # distinct segments up to which bisection runs on Python floats (numpy's calls cost more)
DISTINCT_BY_DICT = 256  # segments up to which the distinct ones are found in a dict (np.unique's calls cost more)
BISECTIONS = 54


def _bisect_distinct(a, d, lo, hi):
    """:func:`_bisect` of the segments ``a + s d`` (rows of a, d: (M, n)), each distinct one once: where
    candidate points coincide (ideals clipped to one end of an issue) most vertex pairs repeat."""
    if not len(a):
        return np.empty(0)
    rows = np.concatenate([a, d], axis=1)
    key = rows.view(np.dtype((np.void, rows.itemsize * rows.shape[1])))[:, 0]     # bit for bit
    if len(key) <= DISTINCT_BY_DICT:     # each row's bytes in a dict: the distinct rows in order of appearance
        first, back = _distinct(key.tolist())
    else:
        _, first, back = np.unique(key, return_index=True, return_inverse=True)
    a, d, lo, hi = a[first], d[first], lo[first], hi[first]
    s = np.array(_bisect_scalar(a, d, lo, hi)) if len(first) <= SCALAR_SEGMENTS else None
    if s is None or np.isnan(s).any():
        s = _bisect(a, d, lo, hi)
    return s[back.reshape(-1)]


def _distinct(keys):
    """Where each distinct key first appears, and which distinct key each is: (first, back) as np.unique
    gives them, the distinct keys numbered in order of appearance rather than sorted."""
    seen, first, back = {}, [], []
    for i, k in enumerate(keys):
        j = seen.get(k)
        if j is None:
            j = seen[k] = len(first)
            first.append(i)
        back.append(j)
    return np.array(first, dtype=np.intp), np.array(back, dtype=np.intp)


def _bisect(a, d, lo, hi):
    """The root in [lo, hi] of each segment's slope ``sum_i d_i / (a_i + s d_i)`` (decreasing in s) after
    :data:`BISECTIONS` steps: (W, P)."""
    left, right, mid, slope = lo.copy(), hi.copy(), np.empty_like(lo), np.empty_like(lo)
    terms, up = np.empty_like(a), np.empty(lo.shape, dtype=bool)
    each = [terms[..., i] for i in range(a.shape[-1])]
    for _ in range(BISECTIONS):         # in place: on a few worlds the calls, not the arithmetic, cost
        np.add(left, right, out=mid)
        mid *= 0.5
        np.multiply(mid[..., None], d, out=terms)
        terms += a
        np.divide(d, terms, out=terms)
        np.copyto(slope, each[0])       # summed in order, as numpy's sum does (its first + 0.0 moves no sign)
        for t in each[1:]:
            slope += t
        np.greater(slope, 0, out=up)
        np.copyto(left, mid, where=up)
        np.logical_not(up, out=up)
        np.copyto(right, mid, where=up)
    return 0.5 * (left + right)


def _bisect_scalar(a, d, lo, hi):
    """:func:`_bisect` for a few segments (rows of ``a``, ``d``: (M, n)) on Python floats: the same IEEE
    operations in the same order, so the same bits; nan where a slope divides by zero (numpy's inf and
    nan would then decide, so the caller bisects those again with numpy)."""
    out = []
    for ai, di, left, right in zip(a.tolist(), d.tolist(), lo.tolist(), hi.tolist()):
        pairs = list(zip(di, ai))
        try:
            if len(pairs) == 3:         # written out (the same operations in the same order): the loop costs
                (d0, a0), (d1, a1), (d2, a2) = pairs
                for _ in range(BISECTIONS):
                    mid = 0.5 * (left + right)
                    if 0.0 + d0 / (a0 + mid * d0) + d1 / (a1 + mid * d1) + d2 / (a2 + mid * d2) > 0:
                        left = mid
                    else:
                        right = mid
            elif len(pairs) == 2:
                (d0, a0), (d1, a1) = pairs
                for _ in range(BISECTIONS):
                    mid = 0.5 * (left + right)
                    if 0.0 + d0 / (a0 + mid * d0) + d1 / (a1 + mid * d1) > 0:
                        left = mid
                    else:
                        right = mid
            else:
                for _ in range(BISECTIONS):
                    mid = 0.5 * (left + right)
                    slope = 0.0
                    for dk, ak in pairs:
                        slope += dk / (ak + mid * dk)
                    if slope > 0:
                        left = mid
                    else:
                        right = mid
            out.append(0.5 * (left + right))
        except ZeroDivisionError:
            out.append(np.nan)
    return out


def _kkt_pick(g, vc, L_l, r):
    """The first of the candidate gains ``g`` (W, P, n) of each world that passes the KKT check of
    :func:`nash_on_segments`: (W, n), nan where none does."""
    W, kc = vc.shape[:2]
    r = r[:, None, :]
    mu = 1.0 / g
    # the support at mu, issue by issue (compared only: not 0.0 + the first, which moves nothing but a zero's sign)
    sigma = fold_last(np.maximum, mu @ np.swapaxes(vc[:, 0], 1, 2)) if kc else np.zeros(g.shape[:2])
    for k in range(1, kc):
        sigma += fold_last(np.maximum, mu @ np.swapaxes(vc[:, k], 1, 2))
    terms = np.empty((3,) + g.shape)                     # the three sums over actors below, in one
    np.multiply(mu, L_l[:, None, :], out=terms[0])
    np.multiply(mu, g + r, out=terms[1])
    np.multiply(mu, np.abs(g) + np.abs(r), out=terms[2])    # y = g + r rounds
    levels, value, spread = add_last(terms)
    sigma += levels
    good = np.isfinite(value) & (sigma <= value + 1e-10 * (np.abs(value) + spread))
    found = good.any(axis=1)
    out = g[np.arange(W), good.argmax(axis=1)]
    return out if found.all() else np.where(found[:, None], out, np.nan)
