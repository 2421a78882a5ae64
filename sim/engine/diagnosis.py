"""Why a zone is closed, exactly: what binds, and the smallest concessions that would open it.

The width of the zone is ``t* = max_l min_c s[l, c]`` with the slack ``s[l, c] = B[l, c] - mu_c . r``
(see :mod:`.solver`). The dual candidates ``mu_c`` depend only on weights and ideals, so they stay exact
when reservations move: lowering actor ``i``'s reservation by ``d`` adds ``d mu_ci`` to every slack, and
the smallest ``d`` that opens the zone is read off the slacks without solving anything again. The dual
certificate (the minimising ``mu``) is the gradient of ``t*`` in the reservations: ``d t* / d r_i = -mu_i``
(Dantzig 1963, ch. 12; Schrijver 1986, sec. 10.4). Red lines move the box and so ``H``; they are in
:mod:`.redlines`.

Every function takes arrays for ``W`` worlds at once, as the solver does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from . import solver
from .linalg import mv

__all__ = ["Snapshot", "Programme", "programme", "reservation_drops", "pair_drops", "best_pair",
           "coalition_widths", "minimal_blocking", "subsets", "EPS", "OPEN"]

EPS = 1e-12      # a dual weight below this is zero: the actor's reservation does not enter the bound
OPEN = -1e-9     # the model's test of an open zone (width >= -1e-9)


@dataclass(frozen=True)
class Snapshot:
    """Everything the zone depends on in one round, for ``W`` worlds, ``n`` actors, ``kc`` range issues.

    ``allowed`` and ``level_vals`` hold one array per levels issue, (W, n, levels) and (n, levels).
    ``lo``, ``hi`` (kc,) are the issues' ranges; ``r`` (W, n) the reservations.
    """

    w_range: np.ndarray
    w_level: np.ndarray
    ideal: np.ndarray
    span: np.ndarray
    red_lo: np.ndarray
    red_hi: np.ndarray
    allowed: list
    level_vals: list
    levels: list
    lo: np.ndarray
    hi: np.ndarray
    r: np.ndarray

    def actors(self, keep) -> "Snapshot":
        """The same worlds with only the actors ``keep`` (a list of indices)."""
        k = list(keep)
        return Snapshot(self.w_range[:, k], self.w_level[:, k], self.ideal[:, k], self.span[:, k],
                        self.red_lo[:, k], self.red_hi[:, k], [al[:, k] for al in self.allowed],
                        [v[k] for v in self.level_vals], self.levels, self.lo, self.hi, self.r[:, k])


@dataclass(frozen=True)
class Programme:
    """The dual form of one round's LP: candidates, per-issue support, slacks and the width."""

    mu: np.ndarray        # (W, C, n) dual candidates
    a: np.ndarray         # (W, kc) common box
    b: np.ndarray
    S: np.ndarray         # (W, C, kc) support of each range issue: max over the box of mu . u_k
    muL: np.ndarray       # (W, combos, C) mu . L
    combos: np.ndarray    # (combos, kl)
    feasible: np.ndarray  # (W, combos)
    slack: np.ndarray     # (W, combos, C)
    t: np.ndarray         # (W,) width, -inf where red lines clash
    combo: np.ndarray     # (W,) best combination
    cert: np.ndarray      # (W,) the certificate's candidate


def programme(snap: Snapshot, *, mu: np.ndarray | None = None) -> Programme:
    """Lay out the exact LP of every world of ``snap`` in the solver's dual form (``mu``: the dual
    candidates, when already known for these worlds)."""
    mu = solver.dual_candidates(snap.w_range, snap.ideal, snap.span) if mu is None else mu
    a, b = solver.common_box(snap.red_lo, snap.red_hi)
    vc = solver.point_utilities(snap.w_range, snap.ideal, snap.span, solver.clipped_points(snap.ideal, a, b))
    W, C, n = mu.shape
    kc = a.shape[1]
    S = solver.fold(np.maximum, (mu @ np.moveaxis(vc, 3, 1).reshape(W, n, -1)).reshape(W, C, kc, -1), 3) if kc \
        else np.zeros((W, C, 0))
    combos = solver.level_combos(snap.levels)
    L = solver.combo_utilities(snap.w_level, snap.level_vals, combos)
    muL = L @ np.swapaxes(mu, 1, 2)
    feasible = solver.combo_feasible(snap.allowed, combos, a, b)
    slack = S.sum(axis=2)[:, None, :] + muL - mv(mu, snap.r)[:, None, :]
    T = np.where(feasible, solver.fold(np.minimum, slack, 2), solver.NEG)
    combo = T.argmax(axis=1)
    rows = np.arange(W)
    return Programme(mu, a, b, S, muL, combos, feasible, slack, T[rows, combo], combo,
                     slack[rows, combo].argmin(axis=1))


def _drops(slack: np.ndarray, weight: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """Smallest ``d >= 0`` with ``max_l min_c (slack + d weight) >= 0``; inf if none. slack (W, L, C),
    weight (W, C, m) for m concessions at once: (W, m)."""
    s = slack[..., None]
    m = weight[:, None]
    need = np.where(s < 0, np.where(m > EPS, -s / np.where(m > EPS, m, 1.0), np.inf), 0.0).max(axis=2)
    return np.where(feasible[..., None], need, np.inf).min(axis=1)


def reservation_drops(p: Programme) -> np.ndarray:
    """Smallest drop of each actor's reservation that alone opens the zone: (W, n), 0 where open,
    ``inf`` where no drop of that actor alone can (others' reservations or red lines block anyway).

    Exact: every slack gains ``d mu_ci``, so the zone opens at ``max_c -s_lc / mu_ci`` for the best
    combination ``l``.
    """
    return _drops(p.slack, p.mu, p.feasible)


def pair_drops(p: Programme, i: int, j: int, *, chunk: int = 2048):
    """Cheapest joint drop of actors ``i`` and ``j``: ``min d_i + d_j`` that opens the zone.

    For each combination the feasible ``(d_i, d_j)`` form a convex polygon bounded by the lines
    ``s_c + d_i mu_ci + d_j mu_cj = 0``, so the optimum is at one of its vertices: an axis point (one
    actor alone) or the crossing of two such lines. Every vertex is tried. Returns ``(total, d_i, d_j)``,
    each (W,), ``inf`` where the pair cannot open it.
    """
    W = len(p.t)
    total, di, dj = np.zeros(W), np.zeros(W), np.zeros(W)
    closed = np.where(p.t < OPEN)[0]
    for w in (closed[k:k + chunk] for k in range(0, len(closed), chunk)):
        ok = w[np.isfinite(p.t[w])]            # a red-line clash: no drop of reservations can open it
        total[w], di[w], dj[w] = np.inf, np.inf, np.inf
        if len(ok):
            total[ok], di[ok], dj[ok] = _pair_chunk(p.slack[ok], p.mu[ok][..., [i, j]], p.feasible[ok])
    return total, di, dj


def _pair_chunk(slack, m, feasible):
    W, Lc, C = slack.shape
    one = _drops(slack, m, feasible)                                               # (W, 2) each alone
    a, b = m[:, None, :, None, 0], m[:, None, :, None, 1]                          # (W, 1, C, 1)
    a2, b2 = np.swapaxes(a, 2, 3), np.swapaxes(b, 2, 3)
    s, s2 = slack[..., :, None], slack[..., None, :]                               # (W, L, C, C)
    det = a * b2 - a2 * b
    ok = np.abs(det) > 1e-13
    d = np.where(ok, det, 1.0)
    x, y = (-s * b2 + s2 * b) / d, (-s2 * a + s * a2) / d
    ok = ok & (x >= -1e-12) & (y >= -1e-12)
    x, y = np.clip(x, 0, None), np.clip(y, 0, None)
    fits = (slack[:, :, None, None, :] + x[..., None] * m[:, None, None, None, :, 0]
            + y[..., None] * m[:, None, None, None, :, 1]).min(axis=4) >= -1e-10
    tot = np.where(ok & fits & feasible[:, :, None, None], x + y, np.inf).reshape(W, -1)
    best = tot.argmin(axis=1)
    rows = np.arange(W)
    bx, by, bt = x.reshape(W, -1)[rows, best], y.reshape(W, -1)[rows, best], tot[rows, best]
    use_i, use_j = one[:, 0] <= np.minimum(one[:, 1], bt), one[:, 1] < np.minimum(one[:, 0], bt)
    total = np.where(use_i, one[:, 0], np.where(use_j, one[:, 1], bt))
    return total, np.where(use_i, one[:, 0], np.where(use_j, 0.0, bx)), \
        np.where(use_i, 0.0, np.where(use_j, one[:, 1], by))


def best_pair(p: Programme):
    """The pair of actors whose joint reservation drop opens the zone most cheaply.

    Returns ``(pairs, index, total, d_first, d_second)``: the list of pairs and, per world, the best
    pair's index in it (-1 where no pair can), the total drop and each member's share.
    """
    n = p.mu.shape[2]
    pairs = list(itertools.combinations(range(n), 2))
    if not pairs:
        W = len(p.t)
        return pairs, np.full(W, -1), np.full(W, np.inf), np.full(W, np.inf), np.full(W, np.inf)
    res = [pair_drops(p, i, j) for i, j in pairs]
    total = np.stack([r[0] for r in res], axis=1)
    k = total.argmin(axis=1)
    rows = np.arange(len(k))
    pick = lambda q: np.stack([r[q] for r in res], axis=1)[rows, k]
    return pairs, np.where(np.isfinite(total[rows, k]), k, -1), pick(0), pick(1), pick(2)


def subsets(n: int, *, max_all: int = 8) -> list[tuple[int, ...]]:
    """Coalitions worth checking: every non-empty subset when ``n <= max_all``, else singles and pairs."""
    sizes = range(1, n + 1) if n <= max_all else (1, 2)
    return [c for k in sizes for c in itertools.combinations(range(n), k)]


def coalition_widths(snap: Snapshot, coalitions: list[tuple[int, ...]]) -> np.ndarray:
    """Width of the zone among each coalition alone, with only its members' red lines: (W, coalitions).

    A coalition's zone is the max-min LP over its members, solved exactly as the full one.
    """
    return np.stack([programme(snap.actors(c)).t for c in coalitions], axis=1)


def minimal_blocking(widths: np.ndarray, coalitions: list[tuple[int, ...]]) -> np.ndarray:
    """Which coalitions block minimally: no zone among them, but one among every proper sub-coalition.

    Widths shrink as members join (each adds constraints), so a closed coalition blocks every coalition
    that contains it; the minimal ones are the cores of the disagreement. Returns (W, coalitions) bool.
    """
    closed = widths < OPEN
    sets = [frozenset(c) for c in coalitions]
    out = closed.copy()
    for k, s in enumerate(sets):
        inner = [q for q, t in enumerate(sets) if t < s]
        if inner:
            out[:, k] &= ~closed[:, inner].any(axis=1)
    return out
