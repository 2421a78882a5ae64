"""The engine's small helpers against numpy's own reductions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from zopa.sim.engine.linalg import fold

OPS = [np.maximum, np.minimum, np.logical_and, np.logical_or]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(OPS),
       st.lists(st.integers(0, 6), min_size=1, max_size=3), st.integers(1, 700), st.integers(0, 3))
def test_fold_gives_the_values_of_the_reduction(seed, op, short, worlds, axis_pick):
    """``fold`` equals ``op.reduce`` along any axis, whether it folds whole arrays or one column at a time
    (worlds x a short last axis), NaN and infinities included."""
    rng = np.random.default_rng(seed)
    shape = (worlds, *short)
    if op in (np.logical_and, np.logical_or):
        a = rng.random(shape) < 0.5
    else:
        a = np.where(rng.random(shape) < 0.7, rng.random(shape),
                     rng.choice(np.array([0.0, -1.5, 2.0, np.inf, -np.inf, np.nan]), shape))
    axis = axis_pick % len(shape)
    if a.shape[axis] == 0:
        return                      # no identity for maximum and minimum: neither is asked for one
    np.testing.assert_array_equal(fold(op, a, axis), op.reduce(a, axis=axis))
