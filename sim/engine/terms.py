"""From agreed utilities back to terms: the outcome on every issue that delivers them."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from . import simplex
from .linalg import add_last, fold, fold_last
from .solver import clipped_points
from .utility import utilities_at
from .vertices import point_utilities

__all__ = ["terms_for", "settle", "from_weights", "utilities_at"]

FLOOR_TOL = 1e-12          # a deal's utility below a reservation by at most this is rounding of an exact point
_REASONS = np.array(["ok", "no terms deliver the agreed utilities", "the protocol found no deal point"],
                    dtype=object)        # a settlement's status: one string object each, not one per world


def _one(w, ideal, span, lo, hi, L, lower):
    """Terms giving every actor at least ``lower``, the sum of utilities as large as possible (HiGHS)."""
    n, kc = w.shape
    nv = kc + n * kc
    c = np.zeros(nv)
    c[kc:] = -w.reshape(-1)
    A, b = [], []
    for i in range(n):
        row = np.zeros(nv)
        row[kc + i * kc: kc + (i + 1) * kc] = -w[i]
        A.append(row)
        b.append(L[i] - lower[i])
        for k in range(kc):
            for sign in (1.0, -1.0):
                row = np.zeros(nv)
                row[kc + i * kc + k] = 1.0
                row[k] = sign / span[i, k]
                A.append(row)
                b.append(1.0 + sign * ideal[i, k] / span[i, k])
    bounds = [(lo[k], max(lo[k], hi[k])) for k in range(kc)] + [(None, 1.0)] * (n * kc)
    res = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    return res.x[:kc] if res.status == 0 else np.full(kc, np.nan)


def _single_issue(w, ideal, span, a, b, L, lower, accept):
    """Vectorised for one divisible issue: scan the segments between clipped ideals for the points where
    utilities reach ``lower``, keeping those where every actor gets at least ``accept``.

    Every segment's ends and candidate points are evaluated at once (a few numpy calls per batch, not per
    segment); the candidates are then taken in order, as a scan segment by segment would (:func:`_scan`)."""
    W, n, _ = w.shape
    pts = np.sort(np.concatenate([ideal[:, :, 0], a, b], axis=1).clip(a, b), axis=1)       # (W, P)
    u = _utilities_along(pts, w, ideal, span, L)                                           # (W, P, n)
    x0, x1, u0 = pts[:, :-1], pts[:, 1:], u[:, :-1]
    d = u[:, 1:] - u0                                                                      # (W, S, n)
    low, acc = lower[:, None, :], accept[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.where(np.abs(d) > 1e-15, (low - u0) / d, np.where(u0 >= acc, -np.inf, np.nan))
    # largest and least over actors elementwise: a zero bound takes the sign of d, so no two zeros of a row differ
    lo_s = np.maximum(fold_last(np.maximum, np.where(d > 1e-15, bound, -np.inf)), 0.0)
    hi_s = np.minimum(fold_last(np.minimum, np.where(d < -1e-15, bound, np.inf)), 1.0)
    ok = ~fold_last(np.logical_or, np.isnan(bound)) & (lo_s <= hi_s + 1e-12)             # (W, S)
    s = np.empty(lo_s.shape + (2,))                                                       # (W, S, 2)
    s[:, :, 0], s[:, :, 1] = lo_s, hi_s
    s.clip(0.0, 1.0, out=s)
    x = (x0[:, :, None] + s * (x1 - x0)[:, :, None]).reshape(W, -1)                       # (W, 2S)
    uc = _utilities_along(x, w, ideal, span, L)
    tot = add_last(uc)
    fits = np.repeat(ok, 2, axis=1) & fold_last(np.logical_and, uc >= accept[:, None, :])
    return _scan(x, np.where(fits & ~np.isnan(tot), tot, -np.inf))[:, None]


def _scan(x, tot):
    """The last candidate taken when candidates ``x`` (W, K) are taken in order wherever their total
    utility ``tot`` (W, K; -inf where they do not fit) beats that of the last taken by more than 1e-15;
    nan where none is. Where no total comes within 1e-15 below the largest, that is the first largest (it
    is taken, and nothing after it), found at once; the scan runs only on the other worlds."""
    W, K = tot.shape
    first = tot.argmax(axis=1)
    top = tot[np.arange(W), first][:, None]
    best = np.where(top[:, 0] > -np.inf, x[np.arange(W), first], np.nan)
    close = (~((tot == top) | (tot + 1e-15 < top)).all(axis=1)).nonzero()[0]
    if len(close):
        best[close] = np.nan
        best_sum = np.full(len(close), -np.inf)
        for c in range(K):
            take = tot[close, c] > best_sum + 1e-15
            best[close] = np.where(take, x[close, c], best[close])
            best_sum = np.where(take, tot[close, c], best_sum)
    return best


def _utilities_along(x, w, ideal, span, L):
    """Utilities (W, P, n) at the outcomes ``x`` (W, P) of one range issue: :func:`utilities_at` for each
    column of ``x``, in one call."""
    return utilities_at(x[:, :, None], w[:, None], ideal[:, None], span[:, None], L[:, None])


def _lp_terms(y, L, w, ideal, span, a, b, tol, floor=None, vc=None, bounds=None):
    """Batched and certified: the terms of largest total utility in {x in box : u_i(x) >= y_i - tol}.

    On each issue every outcome is dominated by one between two neighbouring clipped ideals, where the
    utilities are linear, so the problem is an LP in convex weights ``lam_kj`` of the clipped ideals
    ``p_kj``: the width LP of :mod:`sim.engine.simplex` with reservations ``y - tol``. Its optimum is a
    feasible basis (width >= 0: phase one); the total utility is then maximised from it (phase two) and
    the terms are ``x_k = sum_j lam_kj p_kj`` (concavity: every utility at x is at least its value in lam,
    so x delivers y and is optimal). Each answer is certified by the Lagrangian bound
    ``sum_k max_j (s_kj + pi.v_kj) + pi.(L - y + tol)`` at the final prices ``pi >= 0`` (weak duality);
    worlds not certified, or infeasible, are nan. With ``floor`` (W, n; the reservations) the bound is
    never below it, and terms count only where every utility reaches it to rounding, as in :func:`terms_for`.
    ``vc``, the candidate points' utilities, and ``bounds``, :func:`_bounds` of ``y``, where the caller has
    them, are what they would be here.
    """
    W, n, kc = w.shape
    p = clipped_points(ideal, a, b)                                      # (W, kc, J)
    if vc is None:
        vc = point_utilities(w, ideal, span, p)                          # (W, kc, J, n)
    lower, accept = _bounds(y, tol, floor) if bounds is None else bounds
    lr = L - lower
    s = add_last(vc)                                                     # (W, kc, J) total per point
    tab = simplex.build(vc, lr, totals=s)
    its = 20 * (n + kc) + 100
    done = simplex.primal(tab, maxit=its) & simplex.unshift(tab)
    cost = np.zeros((W, tab.T.shape[2] - 1))
    cost[:, :kc * n] = -s.reshape(W, -1)
    simplex.reprice(tab, cost)
    done &= simplex.primal(tab, maxit=its)
    m = n + kc
    lam = simplex.weights(tab)                                           # (W, kc, J)
    x = add_last(lam * p)
    u = utilities_at(x, w, ideal, span, L)
    pi = np.maximum(tab.T[:, m, tab.nu], 0.0)
    # sums along short axes added in order (as numpy sums fewer than eight), a maximum elementwise
    upper = add_last(fold_last(np.maximum, s + (vc @ pi[:, None, :, None])[..., 0])) + add_last(pi * lr)
    total = add_last(u - L)
    good = done & fold(np.logical_and, u >= accept, 1) & (upper - total <= simplex.GAP * (1.0 + np.abs(upper)))
    return np.where(good[:, None], x, np.nan)


def _lp_chunked(y, L, w, ideal, span, a, b, tol, floor, vc=None, bounds=None):
    """:func:`_lp_terms` in chunks of worlds whose tableaux take about 16 MB."""
    W, n, kc = w.shape
    step = max(1, 2_000_000 // ((n + kc + 1) * (kc * n + n + 2)))
    if W <= step:
        return _lp_terms(y, L, w, ideal, span, a, b, tol, floor, vc, bounds)
    out = np.empty((W, kc))
    for lo in range(0, W, step):
        r = slice(lo, lo + step)
        out[r] = _lp_terms(y[r], L[r], w[r], ideal[r], span[r], a[r], b[r], tol, floor[r],
                           None if vc is None else vc[r])
    return out


def _bounds(y, tol, floor):
    """``(lower, accept)``: what the terms aim at (y less the hair, never below the floor) and what they
    must reach to count (y less two hairs, the floor to rounding)."""
    if floor is None:
        return y - tol, y - 2 * tol
    return np.maximum(y - tol, floor), np.maximum(y - 2 * tol, floor - min(tol / 10, FLOOR_TOL))


def terms_for(y, L, w_range, ideal, span, a, b, *, floor=None):
    """Range-issue terms (W, kc) delivering utilities y with the largest total utility, given the levels
    part L (W, n); nan where no terms deliver y.

    Utilities may fall short of y by a hair: first 1e-13, then, where no terms do that (y itself
    computed with rounding), 1e-11 and 1e-9. Never so below ``floor`` (W, n; the reservations): the
    search aims at the floor itself wherever y less the hair would fall under it, and keeps terms only
    where every utility reaches the floor to rounding (1e-14 at the first step, then 1e-12). One issue is
    scanned segment by segment, more by a batched simplex (:func:`_lp_terms`); worlds where these find or
    certify nothing go to one exact LP each (HiGHS).
    """
    return _terms_utilities(y, L, w_range, ideal, span, a, b, floor)[0]


def _terms_utilities(y, L, w_range, ideal, span, a, b, floor, vc=None):
    """:func:`terms_for`, and the utilities its terms give (W, n; nan rows where it finds none), which its
    last check has computed already. ``vc`` (W, kc, J, n): the candidate points' utilities, if known, as
    :func:`sim.engine.vertices.point_utilities` lays them out (the layout decides how numpy sums them)."""
    W, n, kc = w_range.shape
    if kc == 0 or W == 0:
        x = np.full((W, kc), np.nan)
        return x, (utilities_at(x, w_range, ideal, span, L) if kc == 0 else np.full((W, n), np.nan))
    f = np.full((W, n), -np.inf) if floor is None else floor
    hi = np.maximum(a, b)
    x = u = None                     # every world is to do at the first step: its answers are the tables
    for tol in (1e-13, 1e-11, 1e-9):
        todo = None if x is None else np.isnan(x).any(axis=1).nonzero()[0]
        if todo is not None and not len(todo):
            break
        every = (y, f, L, w_range, ideal, span, a, b, hi)
        if todo is None:                                             # no copy at first
            x, u = _terms_step(tol, *every, vc)
        else:
            x[todo], u[todo] = _terms_step(tol, *(v[todo] for v in every), None)
    return x.clip(a, hi), u


def _terms_step(tol, y, f, L, w, ideal, span, a, b, hi, vc):
    """One step of :func:`_terms_utilities` at the hair ``tol``: terms and their utilities, nan rows where
    they fall short."""
    lower, accept = _bounds(y, tol, f)
    if w.shape[2] == 1:
        x = _single_issue(w, ideal, span, a, b, L, lower, accept)
    else:
        x = _lp_chunked(y, L, w, ideal, span, a, b, tol, f, vc, (lower, accept))
    for j in np.isnan(x).any(axis=1).nonzero()[0]:                # the rare world left: HiGHS
        x[j] = _one(w[j], ideal[j], span[j], a[j], b[j], L[j], lower[j])
    u = utilities_at(x.clip(a, hi), w, ideal, span, L)
    short = ~(u >= accept).all(axis=1)
    if short.any():
        x[short], u[short] = np.nan, np.nan        # as the utilities of terms nan: nan
    return x, u


def settle(y, candidates, level_utils, w_range, ideal, span, a, b, *, floor=None, weights=None,
           points=None):
    """Terms for agreed utilities y (W, n), on the best of the levels combinations that can deliver them.

    ``candidates`` (W, combos) marks the combinations whose feasible set holds y (the protocol's own
    among them). On each, the terms maximise total utility subject to ``u_i >= y_i``; the combination
    with the largest total wins. Whatever the protocol, the deal is then Pareto optimal: an outcome at
    least as good for everyone lies in a candidate combination and cannot have a larger total.

    With ``floor`` (W, n; the reservations), no deal leaves an actor below its floor: terms must reach it
    to rounding (``FLOOR_TOL``; a zone of a single point is met exactly only up to the last bit), and the
    utility reported is then the floor itself; where no terms do, the world has no deal.

    With ``weights`` (W, kc, n; nan rows where unknown), convex weights on each issue of the clipped ideals
    that give y in the only candidate combination (as the Nash protocol finds them), the terms are first
    taken from them (:func:`from_weights`); the search runs only where those fail.

    ``points`` (W, kc, J, n), the utilities of the clipped candidate points where the caller has them (the
    protocol's :class:`sim.engine.protocols.Problem` holds them), spares the search computing them again.

    Returns terms (W, kc), combination (W,), utilities (W, n) and status (W,) ("ok" or the reason no
    terms were found; those rows are nan / -1).
    """
    W, n, kc = w_range.shape
    f = np.full((W, n), -np.inf) if floor is None else floor
    finite = np.isfinite(y).all(axis=1)
    given = np.zeros(W, dtype=bool)
    if weights is not None and kc:
        x_w, u_w, given = from_weights(y, f, candidates, level_utils, weights, w_range, ideal, span, a, b)
    rows, cols = np.nonzero(candidates & (finite & ~given)[:, None])
    if len(rows) == W and not (rows[1:] == rows[:-1]).any():     # one combination each, every world in order
        out_x, out_u, combo = _on_each(y, f, level_utils, cols, w_range, ideal, span, a, b, points)
    else:
        out_x, out_u, combo = _on_rows(y, f, level_utils, rows, cols, w_range, ideal, span, a, b, points)
    if given.any():
        out_x[given], out_u[given], combo[given] = x_w[given], u_w[given], candidates[given].argmax(axis=1)
    none = combo < 0
    status = _REASONS[np.where(none, np.where(finite, 1, 2), 0)]
    short = none & finite & (f > -np.inf).any(axis=1) if none.any() else none
    if short.any():                                          # would the agreed utilities alone be met?
        rows, cols = np.nonzero(candidates & short[:, None])
        met = _on_combos(y[rows], np.full((len(rows), n), -np.inf), level_utils[rows, cols], w_range[rows],
                         ideal[rows], span[rows], a[rows], b[rows])[2]
        status[np.unique(rows[met])] = "no terms give every actor its reservation"
    return out_x, combo, np.maximum(out_u, f), status


def _on_rows(y, f, level_utils, rows, cols, w_range, ideal, span, a, b, points):
    """Terms (W, kc), utilities (W, n) and combination (W,) of the candidate (world, combination) pairs
    ``rows``, ``cols`` (worlds in order): in each world the one of largest total; nan / -1 where none."""
    W, n, kc = w_range.shape
    x, u, found = _on_combos(y[rows], f[rows], level_utils[rows, cols], w_range[rows], ideal[rows], span[rows],
                             a[rows], b[rows])
    total = np.where(found, u.sum(axis=1), -np.inf)
    order = np.lexsort((-total, rows))                       # per world, the largest total first
    ranked = rows[order]
    first = order[np.concatenate(([True], ranked[1:] != ranked[:-1]))] if len(order) else order
    first = first[found[first]]
    out_x, out_u = np.full((W, kc), np.nan), np.full((W, n), np.nan)
    combo = np.full(W, -1)
    won = rows[first]
    out_x[won], out_u[won], combo[won] = x[first], u[first], cols[first]
    return out_x, out_u, combo


def _on_each(y, f, level_utils, cols, w_range, ideal, span, a, b, points):
    """:func:`_on_rows` where every world has the one candidate combination ``cols``: its rows are the
    worlds themselves, not gathered (only laid out in order where they are not, as a gather would: how
    numpy sums a long axis depends on it), and the best of one is itself."""
    L = level_utils[np.arange(len(cols)), cols]
    x, u, found = _on_combos(*(np.ascontiguousarray(v) for v in (y, f, L, w_range, ideal, span, a, b)), points)
    keep = found[:, None]
    return np.where(keep, x, np.nan), np.where(keep, u, np.nan), np.where(found, cols, -1)


def _on_combos(y, f, L, w_range, ideal, span, a, b, points=None):
    """Terms, utilities and whether they deliver y (to 2e-9) and the floor f (to ``FLOOR_TOL``), one row
    per (world, levels combination)."""
    x, u = _terms_utilities(y, L, w_range, ideal, span, a, b, f, points)
    found = (u >= np.maximum(y - 2e-9, f - FLOOR_TOL)).all(axis=1)     # nan (no terms) meets nothing
    return x, u, found


def from_weights(y, floor, candidates, level_utils, lam, w_range, ideal, span, a, b):
    """Terms ``x_k = sum_j lam_kj p_kj`` from convex weights ``lam`` (W, kc, n) of the clipped ideals
    ``p_kj`` that give the agreed utilities y: exact, with no search.

    Each utility is concave in x (a weighted ``-|x_k - ideal|`` per issue), so its value at x is at least
    its lam-weighted value at the points, ``sum_kj lam_kj v_kj``: the terms give every actor at least what
    the weights give, and the box holds them. Taken only where one levels combination holds y, and
    checked as :func:`terms_for` checks its own first answer (every utility at least y less 2e-13, and
    the floor less 1e-14). Where y is Pareto optimal (the Nash point is, to its certified gap), no terms
    giving every actor at least y have a larger total: these are the terms the search would find.

    Returns terms (W, kc), their utilities (W, n) and where they are the answer (W,).
    """
    W, n, kc = w_range.shape
    x, u = np.full((W, kc), np.nan), np.full((W, n), np.nan)
    if np.isnan(lam).all():             # the usual case outside the interior-point method: nothing to check
        return x, u, np.zeros(W, dtype=bool)
    rows = np.flatnonzero((candidates.sum(axis=1) == 1) & np.isfinite(lam).all(axis=(1, 2))
                          & np.isfinite(y).all(axis=1))
    if not len(rows):
        return x, u, np.zeros(W, dtype=bool)
    p = clipped_points(ideal[rows], a[rows], b[rows])                                           # (m, kc, n)
    x[rows] = np.clip((lam[rows] * p).sum(axis=2), a[rows], np.maximum(a[rows], b[rows]))
    L = level_utils[rows, candidates[rows].argmax(axis=1)]
    u[rows] = utilities_at(x[rows], w_range[rows], ideal[rows], span[rows], L)
    accept = _bounds(y[rows], 1e-13, floor[rows])[1]
    ok = np.zeros(W, dtype=bool)
    ok[rows] = (u[rows] >= accept).all(axis=1)
    return x, u, ok
