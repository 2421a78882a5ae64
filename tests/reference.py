"""Slow, obviously correct reference: one world, scipy's HiGHS, the textbook formulation."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linprog


def utility_rows(w, ideal, span, nv, rhs, *, extra=None):
    """The rows every textbook LP here shares, over z = (x (kc), v (n*kc), anything after).

    For each actor i: ``-sum_k w_ik v_ik [+ extra] <= rhs_i`` (``extra(i, row)`` adds its own columns to
    the row), then ``v_ik <= 1 -+ (x_k - ideal_ik) / span_ik`` for every range issue k: v is the tent
    utility of x on issue k, bounded by both of its sides. Returns (A, b) as lists of rows.
    """
    n, kc = w.shape
    A, b = [], []
    for i in range(n):
        row = np.zeros(nv)
        row[kc + i * kc: kc + (i + 1) * kc] = -w[i]
        if extra is not None:
            extra(i, row)
        A.append(row)
        b.append(rhs[i])
        for k in range(kc):
            for sign in (1.0, -1.0):
                row = np.zeros(nv)
                row[kc + i * kc + k] = 1.0
                row[k] = sign / span[i, k]
                A.append(row)
                b.append(1.0 + sign * ideal[i, k] / span[i, k])
    return A, b


def tent_lp(w, ideal, span, lo, hi, L, r):
    """max t s.t. sum_k w_ik v_ik + L_i - r_i >= t, v_ik <= 1 -+ (x_k - ideal_ik)/span_ik, lo <= x <= hi.

    Variables: x (kc), v (n*kc), t. Returns (t*, x*) or (-inf, None) when the box is empty.
    """
    n, kc = w.shape
    if (lo > hi + 1e-12).any():
        return -np.inf, None
    nv = kc + n * kc + 1
    c = np.zeros(nv)
    c[-1] = -1.0
    def slack(i, row):
        row[-1] = 1.0

    A, b = utility_rows(w, ideal, span, nv, L - r, extra=slack)
    bounds = [(lo[k], max(lo[k], hi[k])) for k in range(kc)] + [(None, None)] * (n * kc + 1)
    res = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return -res.fun, res.x[:kc]


def zopa_width_reference(w_range, ideal, span, red_lo, red_hi, w_level, level_vals, allowed, r):
    """One world's exact ZOPA width by enumerating levels combinations and solving an LP for each."""
    n = w_range.shape[0]
    lo, hi = red_lo.max(axis=0), red_hi.min(axis=0)
    best = -np.inf
    ranges = [range(v.shape[1]) for v in level_vals]
    for combo in itertools.product(*ranges):
        if not all(allowed[j][:, lv].all() for j, lv in enumerate(combo)):
            continue
        L = np.zeros(n)
        for j, lv in enumerate(combo):
            L += w_level[:, j] * level_vals[j][:, lv]
        t, _ = tent_lp(w_range, ideal, span, lo, hi, L, r) if w_range.shape[1] else ((L - r).min(), None)
        best = max(best, t)
    return best


def terms_lp(w, ideal, span, lo, hi, L, y):
    """max sum_i (sum_k w_ik v_ik + L_i) s.t. sum_k w_ik v_ik + L_i >= y_i, v_ik <= 1 -+ (x_k - ideal_ik)/span_ik,
    lo <= x <= hi: the terms of largest total utility delivering y. Returns (total, x), or (-inf, None)
    when no terms deliver y."""
    n, kc = w.shape
    nv = kc + n * kc
    c = np.zeros(nv)
    c[kc:] = -w.reshape(-1)
    A, b = utility_rows(w, ideal, span, nv, L - y)
    bounds = [(lo[k], max(lo[k], hi[k])) for k in range(kc)] + [(None, 1.0)] * (n * kc)
    res = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs")
    if res.status == 2:
        return -np.inf, None
    assert res.status == 0, res.message
    return -res.fun + L.sum(), res.x[:kc]
