"""Terms recovered by the batched simplex against one HiGHS LP per world (tests/reference.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zopa.sim.engine import terms
from zopa.sim.engine.utility import utilities_at
from tests.reference import tent_lp, terms_lp

TOL = 1e-13


@st.composite
def deals(draw):
    """2-8 actors, 3-8 range issues, 1-12 worlds; agreed utilities inside, on or beyond the frontier."""
    n, kc, W = draw(st.integers(2, 8)), draw(st.integers(3, 8)), draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    grid = draw(st.booleans())          # ideals on a coarse grid: ties and degenerate bases
    w = (rng.random((W, n, kc)) + 1e-3) * (rng.random((W, n, kc)) < 0.9)
    w /= w.sum(axis=2, keepdims=True) + rng.random((W, n, 1))
    ideal = np.round(rng.random((W, n, kc)) * 4) / 4 if grid else rng.random((W, n, kc))
    span = np.maximum(ideal, 1 - ideal)
    a = np.where(rng.random((W, kc)) < 0.3, rng.random((W, kc)) * 0.4, 0.0)
    b = np.where(rng.random((W, kc)) < 0.3, 0.6 + rng.random((W, kc)) * 0.4, 1.0)
    L = rng.random((W, n)) * 0.2
    x0 = a + (b - a) * rng.random((W, kc))
    scale = draw(st.sampled_from([0.9, 1.0, 1.03]))
    y = utilities_at(x0, w, ideal, span, L) * scale
    return y, L, w, ideal, span, a, b


@settings(max_examples=30, deadline=None)
@given(deals())
def test_batched_terms_equal_highs(deal):
    """Where HiGHS finds terms with room to spare the batched simplex finds them too, never where none
    exist; what it finds delivers y and has HiGHS's largest total utility to 1e-9."""
    y, L, w, ideal, span, a, b = deal
    x = terms._lp_terms(y, L, w, ideal, span, a, b, TOL)
    u = utilities_at(x, w, ideal, span, L)
    for i in range(len(y)):
        margin, _ = tent_lp(w[i], ideal[i], span[i], a[i], b[i], L[i], y[i])
        total, _ = terms_lp(w[i], ideal[i], span[i], a[i], b[i], L[i], y[i] - TOL)
        if margin > 1e-9:
            assert not np.isnan(x[i]).any()
        if margin < -1e-9:
            assert np.isnan(x[i]).all()
        if not np.isnan(x[i]).any():
            assert (x[i] >= a[i] - 1e-12).all() and (x[i] <= np.maximum(a[i], b[i]) + 1e-12).all()
            assert (u[i] >= y[i] - 2 * TOL).all()
            assert abs(u[i].sum() - total) <= 1e-9, (u[i].sum(), total)


def test_terms_for_uses_no_highs_at_eight_issues(monkeypatch):
    """Three actors and eight issues: every deal's terms come from the batched simplex."""
    rng = np.random.default_rng(5)
    W, n, kc = 200, 3, 8
    w = rng.random((W, n, kc)) / kc
    ideal = rng.random((W, n, kc))
    span = np.maximum(ideal, 1 - ideal)
    a, b, L = np.zeros((W, kc)), np.ones((W, kc)), np.zeros((W, n))
    y = utilities_at(rng.random((W, kc)), w, ideal, span, L)
    monkeypatch.setattr(terms, "_one", lambda *args: (_ for _ in ()).throw(AssertionError("HiGHS called")))
    x = terms.terms_for(y, L, w, ideal, span, a, b)
    assert (utilities_at(x, w, ideal, span, L) >= y - 2e-13).all()
