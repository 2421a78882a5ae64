"""The one utility formula, computed step by step in one array, against the formula as written."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from zopa.sim.engine.utility import issue_values

W, C = 7, 4
# (x, w, ideal, span) shapes for n actors and kc issues: outcomes per world, candidate outcomes per world
# (as the dual candidates are), and one outcome whose worlds come from the weights or the spans alone
SHAPES = {
    "worlds": lambda n, kc: ((W, kc), (W, n, kc), (W, n, kc), (W, n, kc)),
    "candidates": lambda n, kc: ((W, C, kc), (W, 1, n, kc), (W, 1, n, kc), (W, 1, n, kc)),
    "wider weights": lambda n, kc: ((kc,), (W, n, kc), (n, kc), (n, kc)),
    "wider spans": lambda n, kc: ((kc,), (n, kc), (n, kc), (W, n, kc)),
}


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(1, 3), st.sampled_from(sorted(SHAPES)))
def test_issue_values_are_the_formula_bit_for_bit(seed, n, kc, layout):
    """``w (1 - |x - ideal| / span)``, the same values and shape, whichever operand has the most axes."""
    rng = np.random.default_rng(seed)
    xs, ws, ids, sps = SHAPES[layout](n, kc)
    x, w, ideal, span = rng.random(xs), rng.random(ws), rng.random(ids), 0.5 + rng.random(sps)
    expect = w * (1.0 - np.abs(x[..., None, :] - ideal) / span)
    got = issue_values(x, w, ideal, span)
    assert got.shape == expect.shape
    np.testing.assert_array_equal(got, expect)
