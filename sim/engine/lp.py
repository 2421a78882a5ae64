"""The ZOPA width of one world by its dual LP with HiGHS: the fallback of the batched simplex.

For one levels combination ``l`` the width is, by LP duality,

    t*_l = min  H(mu) + mu.(L_l - r)   over mu >= 0 with sum(mu) = 1,

where ``H(mu) = sum_k max_j mu.v_kj`` is the support function of the range issues over their clipped
candidate points (see :mod:`sim.engine.solver`). In epigraph form this is a small LP in ``n + kc``
variables and ``kc * J + 1`` constraints (J candidate points per issue), which HiGHS solves at a vertex
``mu``: a vertex of the same arrangement the enumeration method lists, so the width is evaluated by the
same exact formula, :func:`value` (Dantzig 1963, ch. 6). :mod:`sim.engine.simplex` solves the same LP for
many worlds at once and hands the worlds it cannot certify to :func:`solve`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

__all__ = ["Vertex", "WorldCache", "solve", "value"]

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
    """What one world keeps between rounds: the dual vertices met so far (bounds for every combination,
    and the facets protocols read)."""

    verts: list = field(default_factory=list)
    _stack: np.ndarray | None = field(default=None, repr=False)    # ``verts`` as one array, while unchanged

    def array(self) -> np.ndarray:
        """The vertices as one (len(verts), n) array."""
        if self._stack is None or len(self._stack) != len(self.verts):
            self._stack = np.array(self.verts)
        return self._stack

    def add(self, mu: np.ndarray, cap: int) -> int:
        """Index of ``mu`` among the vertices, appending it if new (oldest dropped beyond ``cap``)."""
        if self.verts:
            same = np.flatnonzero(np.abs(self.array() - mu).max(axis=1) <= 1e-14)
            if len(same):
                return int(same[0])
        if len(self.verts) >= cap:
            self.verts.pop(0)
        self.verts.append(mu)
        self._stack = None
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
