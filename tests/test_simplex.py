"""The batched simplex against the textbook method run on each tableau alone.

The batch keeps the tableaux still pivoting together and updates them in place; pivoting one tableau at a
time by Dantzig's rule (Dantzig 1963, ch. 7) must give the same tableaux, bit for bit, and the same
verdicts, from a cold start (primal) and from a warm one moved to new reservations (dual).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zopa.sim.engine import simplex
from zopa.sim.engine.vertices import point_utilities


def textbook(T: np.ndarray, basis: np.ndarray, *, rule: str, maxit: int) -> bool:
    """One tableau, pivoted in place until optimal (True), unbounded or infeasible (True: the batch leaves
    those to its certificate), or out of iterations (False)."""
    m = T.shape[0] - 1
    for _ in range(maxit):
        if rule == "primal":
            q = T[m, :-1].argmin()
            if T[m, q] >= -simplex.EPS:
                return True
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(T[:m, q] > simplex.EPS, np.maximum(T[:m, -1], 0.0) / T[:m, q], np.inf)
            p = ratio.argmin()
        else:
            p = T[:m, -1].argmin()
            if T[p, -1] >= -simplex.EPS:
                return True
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(T[p, :-1] < -simplex.EPS, np.maximum(T[m, :-1], 0.0) / -T[p, :-1], np.inf)
            q = ratio.argmin()
        if not np.isfinite(ratio.min()):
            return True
        row = T[p] / T[p, q]
        col = T[:, q].copy()
        T -= col[:, None] * row[None, :]
        T[p] = row
        basis[p] = q
    return False


@st.composite
def batches(draw):
    n, kc = draw(st.integers(2, 6)), draw(st.integers(1, 4))
    B = draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    w = rng.dirichlet(np.ones(kc), size=(B, n))
    ideal = rng.uniform(0, 1, (B, n, kc))
    span = np.maximum(ideal, 1 - ideal)
    vc = point_utilities(w, ideal, span, np.swapaxes(ideal, 1, 2))                   # (B, kc, J, n)
    r = rng.uniform(0, 0.6, (B, n))
    maxit = draw(st.sampled_from([3, 200]))          # short: some stop at the limit
    return vc, r, rng.uniform(0, 0.6, (B, n)), maxit


def same_as_alone(tab, rule: str, maxit: int) -> None:
    """Run ``rule`` on the batch and on a copy of each tableau alone: the same verdicts and tableaux."""
    alone = [(tab.T[j].copy(), tab.basis[j].copy()) for j in range(len(tab.T))]
    done = (simplex.primal if rule == "primal" else simplex.dual)(tab, maxit=maxit)
    assert done.tolist() == [textbook(T, basis, rule=rule, maxit=maxit) for T, basis in alone]
    for j, (T, basis) in enumerate(alone):
        assert np.array_equal(tab.T[j], T) and np.array_equal(tab.basis[j], basis)


@settings(max_examples=60, deadline=None)
@given(batches())
def test_batched_simplex_equals_each_tableau_alone(batch):
    vc, r, r2, maxit = batch
    tab = simplex.build(vc, -r)
    same_as_alone(tab, "primal", maxit)
    simplex.shift(tab, -r2)                      # a warm start at new reservations: the dual method
    same_as_alone(tab, "dual", maxit)
