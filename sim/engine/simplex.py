"""A batched, warm-started simplex method for the ZOPA width of many worlds at once.

For one world and levels combination the width is the LP (the primal of :mod:`sim.engine.lp`'s dual)

    max t   s.t.  t + nu_i = sum_kj lam_kj v_kj,i + lr_i   (every actor i),   sum_j lam_kj = 1   (every issue k),

with ``lam >= 0`` convex weights of the candidate points on each issue, ``nu >= 0`` each actor's surplus
and ``lr = L - r``. Writing ``t = tau + t0`` with ``t0 = min_i lr_i`` (a lower bound of the width, since
utilities are >= 0) makes every variable non-negative, and the basis {nu_i, one lam per issue} is feasible
from the start, so no phase one is needed. Every world of a batch pivots at once (Dantzig's rule on dense
tableaux, Dantzig 1963, ch. 7): the cost is a few dense updates of a (batch, n + kc, kc J + n + 1) array.

The reservations only enter the right-hand side, so a tableau solved last round stays dual feasible:
its right-hand side is updated in place and a few dual simplex pivots (Lemke 1954) restore optimality,
which is the warm start. The same holds between levels combinations of one world.

The result is certified for every world: the dual prices ``mu`` of the actor rows give the upper bound
``H(mu) + mu.lr`` (weak duality) and the weights ``lam`` a lower bound ``min_i sum lam v_i + lr_i``
(concavity of the utilities); where they differ by more than ``GAP`` (degenerate cycling, rounding) the
world is reported unsolved and the caller falls back to HiGHS.
"""

from __future__ import annotations

import functools

import numpy as np

from .linalg import add_last

__all__ = ["Tableaux", "build", "primal", "dual", "shift", "readout", "weights", "unshift", "reprice", "GAP"]

EPS = 1e-11
GAP = 1e-10
BLOCK = 16          # tableaux updated together by a pivot (their temporaries stay in cache)
SMALL = 8 * BLOCK   # a batch this small is updated in one step (a few small tableaux: the calls cost more)
_COUNT = np.arange(1 << 12)
_COUNT.flags.writeable = False


def _count(k: int) -> np.ndarray:
    """``np.arange(k)``, a read-only view of one made once where ``k`` is not large."""
    return _COUNT[:k] if k <= len(_COUNT) else np.arange(k)


class Tableaux:
    """Dense simplex tableaux of a batch: ``T`` (B, m + 1, N + 1), objective in the last row, right-hand
    side in the last column; ``basis`` (B, m) the basic column of each row; ``b`` (B, n) the actor rows'
    right-hand side ``lr - t0`` they were built for; ``t0`` (B,)."""

    def __init__(self, T, basis, b, t0, n, kc, J):
        self.T, self.basis, self.b, self.t0 = T, basis, b, t0
        self.n, self.kc, self.J = n, kc, J

    @property
    def tau(self) -> int:
        """Column of the width variable."""
        return self.kc * self.J

    @property
    def nu(self) -> slice:
        """Columns of the actors' surplus variables."""
        return slice(self.kc * self.J + 1, self.kc * self.J + 1 + self.n)

    def take(self, rows) -> "Tableaux":
        return Tableaux(self.T[rows], self.basis[rows], self.b[rows], self.t0[rows], self.n, self.kc, self.J)

    def put(self, rows, other: "Tableaux") -> None:
        """Write ``other`` (as :meth:`take` gives it) back into ``rows``."""
        self.T[rows], self.basis[rows], self.b[rows], self.t0[rows] = other.T, other.basis, other.b, other.t0


def build(vc: np.ndarray, lr: np.ndarray, *, totals: np.ndarray | None = None) -> Tableaux:
    """Cold-start tableaux for candidate utilities ``vc`` (B, kc, J, n) and ``lr`` (B, n); ``totals``, the
    points' total utilities ``vc.sum(axis=3)``, where the caller has them."""
    B, kc, J, n = vc.shape
    frame, basis = _frame(n, kc, J)
    t0 = lr.min(axis=1)
    T = np.repeat(frame[None], B, axis=0)
    T[:, :n, :kc * J] = -vc.transpose(0, 3, 1, 2).reshape(B, n, kc * J)
    b = lr - t0[:, None]
    T[:, :n, -1] = b
    tab = Tableaux(T, np.repeat(basis[None], B, axis=0), b, t0, n, kc, J)
    start = (add_last(vc) if totals is None else totals).argmax(axis=2)    # the point best for all on each issue
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(kc):
            _pivot_all(tab.T, tab.basis, n + k, k * J + start[:, k])
    return tab


@functools.lru_cache(maxsize=None)
def _frame(n: int, kc: int, J: int) -> tuple[np.ndarray, np.ndarray]:
    """What every cold-start tableau of these sizes shares (read-only; :func:`build` copies it): the
    tableau without the candidate utilities and right-hand side of the actor rows, and its basis."""
    m, N = n + kc, kc * J + 1 + n
    T = np.zeros((m + 1, N + 1))
    T[:n, kc * J] = 1.0                                               # tau
    T[np.arange(n), kc * J + 1 + np.arange(n)] = 1.0                  # nu
    for k in range(kc):
        T[n + k, k * J:(k + 1) * J] = 1.0
        T[n + k, -1] = 1.0
    T[m, kc * J] = -1.0                                               # maximise tau
    basis = np.zeros(m, dtype=int)
    basis[:n] = kc * J + 1 + np.arange(n)
    T.flags.writeable = basis.flags.writeable = False
    return T, basis


def _pivot(tab: Tableaux, w: np.ndarray, p: np.ndarray, q: np.ndarray) -> None:
    """Pivot tableaux ``w`` on rows ``p`` and columns ``q``, in place."""
    T = tab.T
    row = T[w, p] / T[w, p, q][:, None]                               # (b, N+1)
    col = T[w, :, q].copy()                                           # (b, m+1)
    T[w] -= col[:, :, None] * row[:, None, :]
    T[w, p] = row
    tab.basis[w, p] = q


def _pivot_all(T: np.ndarray, basis: np.ndarray, p, q: np.ndarray, on: np.ndarray | None = None, *,
               col: np.ndarray | None = None) -> None:
    """Pivot every tableau of ``T`` (B, m + 1, N + 1) on rows ``p`` (or one row for all), columns ``q``, in
    place in blocks (no gathered copy of the batch): the same arithmetic as :func:`_pivot`. Tableaux not
    ``on`` are left as they are (a pivot by a zero column: every entry loses exactly 0). Callers ignore
    division warnings (``np.errstate``) once around their loops: a tableau not ``on`` may divide by 0.
    ``col``, the pivot columns ``T[b, :, q]`` where the caller has gathered them already, is overwritten."""
    b = _count(len(T))
    if col is None:
        col = T[b, :, q]                                      # advanced indexing: already a copy
    at = (b, p) if isinstance(p, np.ndarray) and p.ndim else (slice(None), p)   # one row for all: a view
    row = T[at] / col[at][:, None]
    if on is not None:
        row = np.where(on[:, None], row, T[at])
        col[~on] = 0.0
        q = np.where(on, q, basis[at])
    if len(T) <= SMALL:
        T -= col[:, :, None] * row[:, None, :]
    else:
        for s in range(0, len(T), BLOCK):
            T[s:s + BLOCK] -= col[s:s + BLOCK, :, None] * row[s:s + BLOCK, None, :]
    T[at] = row
    basis[at] = q


class _Active:
    """The tableaux of a batch still pivoting, kept in one contiguous array that pivots update in place:
    those that stop are left unchanged there, and once fewer than half still pivot the others are written
    back to the batch and the rest copied together."""

    def __init__(self, tab: Tableaux):
        self.tab, self.rows = tab, _count(len(tab.T))
        self.T, self.basis = tab.T, tab.basis              # the batch itself until the first copy
        self.on = np.ones(len(tab.T), dtype=bool)

    def pivot(self, go: np.ndarray, p: np.ndarray, q: np.ndarray, col: np.ndarray | None = None) -> bool:
        """Pivot the tableaux ``go`` (the others stop) on rows ``p`` and columns ``q`` (gathered in ``col``
        if given); returns whether any did."""
        self.on = go
        k = np.count_nonzero(go)
        if not k:
            return False
        compact = 2 * k < len(go)
        if compact:
            self._write_back(~go)
            self.rows, self.T, self.basis = self.rows[go], self.T[go], self.basis[go]
            p, q, self.on = p[go], q[go], go[go]
            col = None if col is None else col[go]
        _pivot_all(self.T, self.basis, p, q, None if compact or k == len(go) else go, col=col)
        return True

    def _write_back(self, which: np.ndarray | None = None) -> None:
        """Write the tableaux ``which`` (every one if None) back to the batch."""
        if self.T is not self.tab.T:
            if which is None:
                self.tab.T[self.rows], self.tab.basis[self.rows] = self.T, self.basis
            else:
                rows = self.rows[which]
                self.tab.T[rows], self.tab.basis[rows] = self.T[which], self.basis[which]

    def done(self) -> np.ndarray:
        """Write every tableau back; all are done but those still pivoting (at the iteration limit)."""
        self._write_back()
        out = np.ones(len(self.tab.T), dtype=bool)
        out[self.rows[self.on]] = False
        return out


def primal(tab: Tableaux, *, maxit: int) -> np.ndarray:
    """Primal simplex from a feasible basis; returns which tableaux reached optimality (or an unbounded
    ray, which the caller's certificate rejects)."""
    m = tab.T.shape[1] - 1
    act = _Active(tab)
    with np.errstate(divide="ignore", invalid="ignore"):          # once, not once an iteration
        for _ in range(maxit):
            T, b = act.T, _count(len(act.T))
            q = T[:, m, :-1].argmin(axis=1)
            col = T[b, :, q]                      # the entering columns, reduced cost last: one gather
            go = act.on & (col[:, m] < -EPS)
            if not np.count_nonzero(go):                          # optimal: no ratio test to do
                act.on = go
                break
            ratio = np.where(col[:, :m] > EPS, np.maximum(T[:, :m, -1], 0.0) / col[:, :m], np.inf)
            p = ratio.argmin(axis=1)
            go &= np.isfinite(ratio[b, p])
            if not act.pivot(go, p, q, col):
                break
    return act.done()


def dual(tab: Tableaux, *, maxit: int) -> np.ndarray:
    """Dual simplex from a dual-feasible basis (after :func:`shift`); returns which reached optimality
    (or showed the primal infeasible, which the caller's certificate rejects)."""
    m = tab.T.shape[1] - 1
    act = _Active(tab)
    with np.errstate(divide="ignore", invalid="ignore"):          # once, not once an iteration
        for _ in range(maxit):
            T, b = act.T, _count(len(act.T))
            rhs = T[:, :m, -1]
            p = rhs.argmin(axis=1)
            go = act.on & (rhs[b, p] < -EPS)
            if not np.count_nonzero(go):                          # optimal: no ratio test to do
                act.on = go
                break
            row = T[b, p, :-1]
            ratio = np.where(row < -EPS, np.maximum(T[:, m, :-1], 0.0) / -row, np.inf)
            q = ratio.argmin(axis=1)
            go &= np.isfinite(ratio[b, q])
            if not act.pivot(go, p, q):
                break
    return act.done()


def shift(tab: Tableaux, lr: np.ndarray) -> None:
    """Move the right-hand side to new ``lr`` (B, n) in place: the basis stays dual feasible."""
    t0 = lr.min(axis=1)
    b = lr - t0[:, None]
    tab.T[:, :, -1] += (tab.T[:, :, tab.nu] @ (b - tab.b)[:, :, None])[:, :, 0]
    tab.b, tab.t0 = b, t0


def readout(tab: Tableaux, vc: np.ndarray, lr: np.ndarray):
    """Width, dual vertex and certification of optimal tableaux.

    Returns
    -------
    t : (B,) the dual bound ``H(mu) + mu.lr`` at the tableau's dual prices (exact at an optimal vertex);
    mu : (B, n) the dual prices, normalised to the simplex; ok : (B,) whether the lower bound from the
    primal weights meets ``t`` within ``GAP``.
    """
    B, kc, J, n = vc.shape
    m = tab.T.shape[1] - 1
    mu = np.maximum(tab.T[:, m, tab.nu], 0.0)             # what np.clip(v, 0.0, None) calls
    total = mu.sum(axis=1)
    mu = mu / np.where(total > 0, total, 1.0)[:, None]
    h = (vc @ mu[:, None, :, None])[..., 0].max(axis=2).sum(axis=1) if kc else np.zeros(B)
    t = h + (mu * lr).sum(axis=1)
    lam = weights(tab)
    low = ((lam[..., None] * vc).sum(axis=(1, 2)) + lr).min(axis=1)
    ok = (total > 0) & (np.abs(t - low) <= GAP * (1.0 + np.abs(t)))
    return t, mu, ok


def weights(tab: Tableaux) -> np.ndarray:
    """The weights ``lam`` (B, kc, J) of each issue's candidate points at each tableau's basis: the basic
    variables' values (clipped at 0, what ``np.clip(v, 0.0, None)`` calls), normalised to sum to 1 on
    each issue (left 0 where an issue has none)."""
    B, m = tab.basis.shape
    x = np.zeros((B, tab.T.shape[2] - 1))
    x[_count(B)[:, None], tab.basis] = np.maximum(tab.T[:, :m, -1], 0.0)
    lam = x[:, :tab.kc * tab.J].reshape(B, tab.kc, tab.J)
    total = add_last(lam)
    lam /= np.where(total > 0, total, 1.0)[:, :, None]
    return lam


def unshift(tab: Tableaux) -> np.ndarray:
    """Make the width itself the variable (``t0 = 0``) after :func:`primal` has maximised it; returns
    which tableaux still have a feasible basis there (those whose width ``t = tau + t0`` is >= 0).

    Moving the right-hand side by ``t0`` times the width's column changes only the width's value when it
    is basic, so it is first brought into the basis by a ratio-test pivot (which keeps feasibility).
    """
    m = tab.T.shape[1] - 1
    basic = (tab.basis == tab.tau).any(axis=1)
    out = (~basic).nonzero()[0]
    if len(out):
        col, rhs = tab.T[out, :m, tab.tau], tab.T[out, :m, -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(col > EPS, np.maximum(rhs, 0.0) / col, np.inf)
        p = ratio.argmin(axis=1)
        fine = np.isfinite(ratio[np.arange(len(out)), p])
        _pivot(tab, out[fine], p[fine], np.full(int(fine.sum()), tab.tau))
        basic = (tab.basis == tab.tau).any(axis=1)
    tab.T[:, :, -1] += tab.t0[:, None] * tab.T[:, :, tab.tau]
    tab.b, tab.t0 = tab.b + tab.t0[:, None], np.zeros_like(tab.t0)
    return (tab.T[:, :m, -1] >= -EPS).all(axis=1) & basic


def reprice(tab: Tableaux, cost: np.ndarray) -> None:
    """Replace the objective by minimising ``cost`` (B, N) over the same constraints: the reduced costs
    ``c - c_B B^-1 A`` of each tableau's current basis, in place."""
    m = tab.T.shape[1] - 1
    cb = cost[_count(len(cost))[:, None], tab.basis]                   # (B, m)
    tab.T[:, m, :-1] = cost - np.einsum("bm,bmn->bn", cb, tab.T[:, :m, :-1])
    tab.T[:, m, -1] = -np.einsum("bm,bm->b", cb, tab.T[:, :m, -1])
