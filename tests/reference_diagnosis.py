"""Slow, obviously correct references for the diagnosis: one world, scipy's HiGHS, the primal LP.

Nothing here shares code with the engine (only the textbook rows of tests/reference.py): each smallest concession is its own textbook LP over the
outcome ``x`` (range issues), the auxiliary values ``v`` (``v_ik <= 1 -+ (x_k - ideal_ik)/span_ik``) and
the concessions themselves, solved once per levels combination.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linprog

from tests.reference import utility_rows


def combos_of(level_vals, allowed, w_level, n, skip=None):
    """Levels combinations allowed by every red line (actor ``skip = (actor, issue)``'s ignored), with
    each actor's levels utility: [(combo, L (n,))]."""
    out = []
    for combo in itertools.product(*[range(v.shape[1]) for v in level_vals]):
        ok = all(allowed[j][[a for a in range(n) if (a, j) != skip], lv].all() for j, lv in enumerate(combo))
        if ok:
            L = np.zeros(n)
            for j, lv in enumerate(combo):
                L += w_level[:, j] * level_vals[j][:, lv]
            out.append((combo, L))
    return out


def primal(w, ideal, span, lo, hi, L, r, *, drop=(), objective=None):
    """min c.z over z = (x, v, d) s.t. sum_k w_ik v_ik + L_i + [d_i] >= r_i, v bounds, lo <= x <= hi,
    d >= 0. ``drop`` lists the actors with a concession variable; ``objective`` is ("drops",) for the
    sum of the drops or ("x", k, sign) for sign * x_k. Returns the optimum, or inf when infeasible."""
    n, kc = w.shape
    if (lo > hi + 1e-12).any():
        return np.inf
    m = len(drop)
    nv = kc + n * kc + m
    def concession(i, row):
        if i in drop:
            row[kc + n * kc + list(drop).index(i)] = -1.0

    A, b = utility_rows(w, ideal, span, nv, L - r, extra=concession)
    c = np.zeros(nv)
    if objective[0] == "drops":
        c[kc + n * kc:] = 1.0
    else:
        c[objective[1]] = objective[2]
    bounds = [(lo[k], hi[k]) for k in range(kc)] + [(None, None)] * (n * kc) + [(0, None)] * m
    res = linprog(c, A_ub=np.array(A).reshape(-1, nv), b_ub=np.array(b), bounds=bounds, method="highs")
    if res.status == 2:
        return np.inf
    assert res.status == 0, res.message
    return res.fun


def min_drops(w, ideal, span, red_lo, red_hi, w_level, level_vals, allowed, r, who):
    """Smallest total reservation drop of the actors ``who`` that opens the zone (inf if none does)."""
    n = w.shape[0]
    lo, hi = red_lo.max(axis=0), red_hi.min(axis=0)
    return min([primal(w, ideal, span, lo, hi, L, r, drop=tuple(who), objective=("drops",))
                for _, L in combos_of(level_vals, allowed, w_level, n)], default=np.inf)


def min_bound(w, ideal, span, red_lo, red_hi, w_level, level_vals, allowed, r, actor, k, side):
    """The value actor ``actor``'s ``side`` ("min"/"max") red line on range issue ``k`` must move to for
    the zone to open with nothing else moved, the red line itself left out: inf if none."""
    n = w.shape[0]
    keep = [a for a in range(n) if a != actor]
    lo, hi = red_lo.max(axis=0), red_hi.min(axis=0)
    if side == "max":
        hi = hi.copy()
        hi[k] = red_hi[keep, k].min() if keep else np.inf
        sign = 1.0
    else:
        lo = lo.copy()
        lo[k] = red_lo[keep, k].max() if keep else -np.inf
        sign = -1.0
    best = min([primal(w, ideal, span, lo, hi, L, r, objective=("x", k, sign))
                for _, L in combos_of(level_vals, allowed, w_level, n)], default=np.inf)
    return sign * best if np.isfinite(best) else np.nan
