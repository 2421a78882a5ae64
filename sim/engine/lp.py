"""The exact ZOPA width of one world by its dual linear programme, for problems too large to enumerate.

For one levels combination ``l`` the width is, by LP duality,

    t*_l = min  H(mu) + mu.(L_l - r)   over mu >= 0 with sum(mu) = 1,

where ``H(mu) = sum_k max_j mu.v_kj`` is the support function of the range issues over their clipped
candidate points (see :mod:`sim.engine.solver`). In epigraph form this is a small LP in ``n + kc``
variables and ``kc * J + 1`` constraints (J candidate points per issue), polynomial in actors and issues,
which HiGHS solves at a vertex ``mu``: a vertex of the same arrangement the enumeration method lists, so
the width ``H(mu) + mu.(L_l - r)`` is evaluated by the same exact formula (Dantzig 1963, ch. 6).

A solved vertex stays optimal while the reservations move and the red lines do not, as long as its
multipliers (the primal terms: convex weights of the candidate points on each issue, and each actor's
surplus) stay non-negative: :func:`still_optimal` checks that with one least-squares solve, which is
how a world is warm-started from its last round (the textbook sensitivity analysis of the optimal basis,
Chvatal 1983, ch. 10). Other levels combinations are pruned with the dual bound: any ``mu`` on the
simplex bounds every combination's width from above (weak duality).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

__all__ = ["Vertex", "WorldCache", "solve", "still_optimal", "value", "world_width", "ray"]

OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
TINY = 1e-13


@dataclass
class Vertex:
    """An optimal dual vertex and its basis: the constraint rows and actor bounds with a positive
    multiplier (the support of the primal solution)."""

    mu: np.ndarray
    rows: np.ndarray
    zeros: np.ndarray


@dataclass
class WorldCache:
    """What one world keeps between rounds: dual vertices met so far (bounds for every combination,
    and the facets protocols read) and the optimal vertex of each combination solved."""

    verts: list = field(default_factory=list)
    basis: dict = field(default_factory=dict)

    def add(self, mu: np.ndarray, cap: int) -> int:
        """Index of ``mu`` among the vertices, appending it if new (oldest dropped beyond ``cap``)."""
        for j, m in enumerate(self.verts):
            if np.abs(m - mu).max() <= 1e-14:
                return j
        if len(self.verts) >= cap:
            self.verts.pop(0)
        self.verts.append(mu)
        return len(self.verts) - 1


def value(vc: np.ndarray, mu: np.ndarray, lr: np.ndarray) -> float:
    """The dual objective ``H(mu) + mu.lr``: an upper bound on the width for any mu on the simplex,
    and the width itself at an optimal mu. ``vc`` (kc, J, n) candidate utilities, ``lr`` = L - r."""
    h = (vc @ mu).max(axis=1).sum() if vc.shape[0] else 0.0
    return float(h + mu @ lr)


def _table(vc: np.ndarray) -> np.ndarray:
    """Constraint rows ``mu.v_kj - s_k <= 0`` of the epigraph LP: (kc*J, n + kc)."""
    kc, J, n = vc.shape
    A = np.zeros((kc * J, n + kc))
    A[:, :n] = vc.reshape(kc * J, n)
    A[np.arange(kc * J), n + np.repeat(np.arange(kc), J)] = -1.0
    return A


def solve(vc: np.ndarray, lr: np.ndarray, d: np.ndarray | None = None) -> Vertex | None:
    """Minimise ``H(mu) + mu.lr`` over ``mu >= 0`` with ``d.mu = 1`` (the simplex when ``d`` is all ones)
    by HiGHS. Returns the optimal vertex, or None when the minimum is unbounded (a ray ``d`` leaving the
    feasible utilities at once)."""
    kc, J, n = vc.shape
    d = np.ones(n) if d is None else d
    res = linprog(np.r_[lr, np.ones(kc)], A_ub=_table(vc), b_ub=np.zeros(kc * J),
                  A_eq=np.r_[d, np.zeros(kc)][None], b_eq=[1.0],
                  bounds=[(0, None)] * n + [(None, None)] * kc, method="highs", options=OPTIONS)
    if res.status == 3:
        return None
    if res.status != 0:
        raise RuntimeError(f"the ZOPA linear programme failed: {res.message}")
    mu = np.clip(res.x[:n], 0.0, None)
    mu /= mu @ d
    lam, nu = -res.ineqlin.marginals, res.lower.marginals[:n]
    return Vertex(mu, np.where(lam > TINY)[0], np.where(nu > TINY)[0])


def still_optimal(vc: np.ndarray, v: Vertex, lr: np.ndarray) -> bool:
    """Whether vertex ``v`` is still optimal for ``lr``: its basis' multipliers solve the optimality
    conditions ``lr + lam.V + gamma - nu = 0``, ``sum_j lam_kj = 1``, and are all non-negative."""
    kc, J, n = vc.shape
    rows, zeros = v.rows, v.zeros
    M = np.zeros((n + kc, len(rows) + len(zeros) + 1))
    M[:n, :len(rows)] = vc.reshape(kc * J, n)[rows].T
    M[n + rows // J, np.arange(len(rows))] = 1.0
    M[zeros, len(rows) + np.arange(len(zeros))] = -1.0
    M[:n, -1] = 1.0
    rhs = np.r_[-lr, np.ones(kc)]
    sol = np.linalg.lstsq(M, rhs, rcond=None)[0]
    scale = 1.0 + np.abs(rhs).max()
    return bool(np.abs(M @ sol - rhs).max() <= 1e-12 * scale and (sol[:-1] >= -1e-13).all())


def _combo_vertex(vc, lr, cache: WorldCache, combo: int) -> Vertex:
    """The optimal vertex of one combination: last round's if its basis still holds, else HiGHS's."""
    v = cache.basis.get(combo)
    if v is None or not still_optimal(vc, v, lr):
        v = solve(vc, lr)
        cache.basis[combo] = v
    return v


def world_width(vc: np.ndarray, L: np.ndarray, ok: np.ndarray, r: np.ndarray, cache: WorldCache,
                *, cap: int) -> tuple[float, int, int]:
    """One world's exact width over its feasible combinations, branch and bound on the dual.

    Parameters
    ----------
    vc : (kc, J, n) utilities of the clipped candidate points; L : (combos, n) levels utilities;
    ok : (combos,) feasible combinations (at least one); r : (n,) reservations; cache : the world's.

    Returns
    -------
    (t, combo, cert): the width, the best combination and the index of its certificate in ``cache.verts``.
    """
    feas = np.where(ok)[0]
    lr = L[feas] - r
    if vc.shape[0] == 0:                       # no range issue: H = 0, the minimum is at a simplex corner
        T = lr.min(axis=1)
        b = int(T.argmax())
        return float(T[b]), int(feas[b]), cache.add(np.eye(len(r))[lr[b].argmin()], cap)
    ub = np.full(len(feas), np.inf)
    for m in cache.verts:
        ub = np.minimum(ub, value(vc, m, 0 * r) + lr @ m)
    best, combo, cert = -np.inf, -1, -1
    for j in np.argsort(-ub, kind="stable"):
        if ub[j] <= best and combo >= 0:
            continue                           # weak duality: this combination cannot do better
        v = _combo_vertex(vc, lr[j], cache, int(feas[j]))
        t = value(vc, v.mu, lr[j])
        ub = np.minimum(ub, value(vc, v.mu, 0 * r) + lr @ v.mu)
        if t > best:
            best, combo, cert = t, int(feas[j]), cache.add(v.mu, cap)
    return best, combo, cert


def ray(vc: np.ndarray, lr: np.ndarray, d: np.ndarray) -> Vertex | None:
    """The facet of the feasible utilities hit by the ray from the reservations in direction ``d``:
    the dual vertex of ``max s`` with ``r + s d`` feasible (None if unbounded)."""
    return solve(vc, lr, d)
