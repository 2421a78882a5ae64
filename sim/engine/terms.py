"""From agreed utilities back to terms: the outcome on every issue that delivers them."""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.optimize import linprog

from .linalg import solve_small as _solve_small
from .utility import utilities_at

__all__ = ["terms_for", "utilities_at"]


def _one(w, ideal, span, lo, hi, L, y, tol):
    """Terms giving every actor at least y (less a hair), the sum of utilities as large as possible."""
    n, kc = w.shape
    nv = kc + n * kc
    c = np.zeros(nv)
    c[kc:] = -w.reshape(-1)
    A, b = [], []
    for i in range(n):
        row = np.zeros(nv)
        row[kc + i * kc: kc + (i + 1) * kc] = -w[i]
        A.append(row)
        b.append(L[i] - y[i] + tol)
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


def _single_issue(w, ideal, span, a, b, L, y, tol):
    """Vectorised for one divisible issue: scan the segments between clipped ideals."""
    W, n, _ = w.shape
    pts = np.sort(np.clip(np.concatenate([ideal[:, :, 0], a, b], axis=1), a, b), axis=1)
    best = np.full(W, np.nan)
    best_sum = np.full(W, -np.inf)
    for j in range(pts.shape[1] - 1):
        x0, x1 = pts[:, j], pts[:, j + 1]
        u0 = utilities_at(x0[:, None], w, ideal, span, L)
        u1 = utilities_at(x1[:, None], w, ideal, span, L)
        d = u1 - u0
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = np.where(np.abs(d) > 1e-15, (y - tol - u0) / d, np.where(u0 >= y - tol, -np.inf, np.nan))
        lo_s = np.where(d > 1e-15, bound, -np.inf).max(axis=1)
        hi_s = np.where(d < -1e-15, bound, np.inf).min(axis=1)
        bad = np.isnan(bound).any(axis=1)
        lo_s, hi_s = np.maximum(lo_s, 0.0), np.minimum(hi_s, 1.0)
        ok = ~bad & (lo_s <= hi_s + 1e-12)
        for s in (lo_s, hi_s):
            s = np.clip(s, 0.0, 1.0)
            x = x0 + s * (x1 - x0)
            tot = utilities_at(x[:, None], w, ideal, span, L).sum(axis=1)
            take = ok & (tot > best_sum + 1e-15)
            best = np.where(take, x, best)
            best_sum = np.where(take, tot, best_sum)
    return best[:, None]


def _vertex_terms(y, L, w, ideal, span, a, b, tol):
    """Vectorised: the vertices of {x in box : u_i(x) >= y_i}, each |x_k - ideal| split by its sign.

    Returns (W, kc) terms with the largest total utility, nan where no vertex is feasible.
    """
    W, n, kc = w.shape
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=kc)))                 # (2^kc, kc)
    coef = (w / span)[:, :, None, :] * signs[None, None]                               # (W, n, 2^kc, kc)
    rhs = (w[:, :, None, :] * (1 + signs[None, None] * (ideal / span)[:, :, None, :])).sum(axis=3) \
        - (y - L)[:, :, None] + tol
    G = np.concatenate([coef.reshape(W, -1, kc), np.broadcast_to(np.eye(kc), (W, kc, kc)),
                        np.broadcast_to(-np.eye(kc), (W, kc, kc))], axis=1)
    h = np.concatenate([rhs.reshape(W, -1), b, -a], axis=1)
    subsets = np.array(list(itertools.combinations(range(G.shape[1]), kc)), dtype=int)
    A, c = G[:, subsets], h[:, subsets]                                                # (W, S, kc, kc)
    x, ok = _solve_small(A, c)                                                         # (W, S, kc)
    feas = ok & (x @ np.swapaxes(G, 1, 2) <= h[:, None, :] + tol).all(axis=2)
    total = np.where(feas, utilities_at(x, w[:, None], ideal[:, None], span[:, None], 0.0).sum(axis=2), -np.inf)
    best = total.argmax(axis=1)
    out = x[np.arange(W), best]
    return np.where(feas.any(axis=1)[:, None], out, np.nan)


def terms_for(y, L, w_range, ideal, span, a, b):
    """Range-issue terms (W, kc) delivering utilities y, given the levels part L (W, n).

    Utilities may fall short of y by a hair: first 1e-13, then, where no terms do that (y itself
    computed with rounding), 1e-11 and 1e-9.
    """
    W, n, kc = w_range.shape
    x = np.full((W, kc), np.nan)
    if kc == 0:
        return x
    for tol in (1e-13, 1e-11, 1e-9):
        todo = np.where(np.isnan(x).any(axis=1))[0]
        if not len(todo):
            break
        args = (y[todo], L[todo], w_range[todo], ideal[todo], span[todo], a[todo], b[todo])
        if kc == 1:
            x[todo] = _single_issue(w_range[todo], ideal[todo], span[todo], a[todo], b[todo], L[todo], y[todo], tol)
        elif math.comb(n * 2 ** kc + 2 * kc, kc) <= 5000:
            x[todo] = _vertex_terms(*args, tol)
        for i in todo[np.isnan(x[todo]).any(axis=1)]:
            x[i] = _one(w_range[i], ideal[i], span[i], a[i], b[i], L[i], y[i], tol)
    if np.isnan(x).any():
        raise RuntimeError("no terms deliver the agreed utilities")
    return np.clip(x, a, np.maximum(a, b))
