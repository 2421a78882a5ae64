"""The dual's plain functions against their obvious forms."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zopa.sim.engine import dual
from zopa.sim.engine.linalg import fold


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40), st.integers(0, 4), st.integers(1, 5), st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_support_is_the_sum_over_issues_of_the_best_point_bit_for_bit(W, kc, n, C, seed):
    """``H(mu)`` as the maximum over each issue's points summed over issues, by numpy's reductions: the same
    bits, signed zeros included (points and weights drawn with zeros of both signs)."""
    rng = np.random.default_rng(seed)
    mu = rng.random((W, C, n)) * (rng.random((W, C, n)) < 0.7)
    vc = rng.normal(size=(W, kc, n, n))
    vc[rng.random(vc.shape) < 0.15] = -0.0
    vc[rng.random(vc.shape) < 0.15] = 0.0
    uv = mu @ np.moveaxis(vc, 3, 1).reshape(W, n, kc * n)
    expect = fold(np.maximum, uv.reshape(W, C, kc, n), 3).sum(axis=2) if kc else np.zeros((W, C))
    got = dual.support(mu, vc)
    assert got.shape == expect.shape
    assert np.array_equal(got.view(np.int64), expect.view(np.int64))
