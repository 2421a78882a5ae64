"""The engine's small helpers against numpy's own reductions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from zopa.sim.engine.linalg import FEW, _last_axis_cut, add_last, fold, fold_last, rows

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


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 10), st.integers(1, 300), st.integers(1, 4))
def test_add_last_is_numpys_sum_bit_for_bit(seed, last, rows, cols):
    """``add_last`` equals ``sum(axis=-1)`` to the last bit, signed zeros, infinities and NaN included."""
    rng = np.random.default_rng(seed)
    shape = (rows, cols, last)
    a = np.where(rng.random(shape) < 0.8, rng.normal(size=shape) * 10.0 ** rng.integers(-12, 12, shape),
                 rng.choice(np.array([0.0, -0.0, np.inf, -np.inf, np.nan]), shape))
    with np.errstate(invalid="ignore"):
        got, want = add_last(a), a.sum(axis=-1)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


VIEWS = [lambda a: a, lambda a: a[..., 1:], lambda a: a[..., :1], lambda a: a[..., ::2], lambda a: a[..., 1:3],
         lambda a: a[..., ::-1], lambda a: a[::2], lambda a: a[1:], lambda a: a[:, 0], lambda a: a[..., [0]],
         lambda a: a[..., 1:][..., :1], lambda a: np.swapaxes(a, 0, 1)]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, len(VIEWS) - 1), st.integers(2, 40), st.integers(2, 4),
       st.integers(3, 5), st.sampled_from([np.float64, np.int16, np.bool_]))
def test_rows_are_numpys_fancy_index_of_any_array_or_view(seed, view, worlds, actors, last, dtype):
    """``rows`` gives ``a[idx]`` for contiguous arrays and for every view, whether it gathers through the
    array a last-axis slice views or indexes the view as it is, a few rows (at most ``FEW``) or more."""
    rng = np.random.default_rng(seed)
    a = VIEWS[view]((rng.random((worlds, actors, last)) * 10).astype(dtype))
    idx = rng.integers(0, len(a), rng.integers(0, 3 * FEW))
    np.testing.assert_array_equal(rows(a, idx), a[idx])
    assert rows(a, idx).dtype == a.dtype


def test_a_partial_deals_issues_are_gathered_through_the_worlds_arrays():
    """The views a partial deal reads (the worlds' arrays with the last axis sliced) are recognised as such;
    other views are not."""
    a = np.zeros((5, 3, 4))
    assert _last_axis_cut(a[..., 1:2]) == slice(1, 2, 1)
    assert _last_axis_cut(a[..., 1::2]) == slice(1, 4, 2)
    assert _last_axis_cut(a[..., 1:][..., 1:]) == slice(2, 4, 1)
    for other in (a[1:], a[:, 1:], a[..., ::-1], np.swapaxes(a, 0, 1), a[..., [1]]):
        assert _last_axis_cut(other) is None


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(OPS), st.lists(st.integers(0, 12), min_size=1, max_size=3),
       st.booleans())
def test_fold_last_gives_the_values_of_the_reduction_along_the_last_axis(seed, op, shape, view):
    """``fold_last`` equals ``op.reduce`` along the last axis, of arrays and of views that are no rows of
    memory (a transposed array), NaN and infinities included."""
    rng = np.random.default_rng(seed)
    if op in (np.logical_and, np.logical_or):
        a = rng.random(shape) < 0.5
    else:
        a = np.where(rng.random(shape) < 0.7, rng.random(shape),
                     rng.choice(np.array([0.0, -1.5, 2.0, np.inf, -np.inf, np.nan]), shape))
    a = a.T if view else a
    if a.shape[-1] == 0 and op in (np.maximum, np.minimum):
        return                      # no identity for maximum and minimum: neither is asked for one
    np.testing.assert_array_equal(fold_last(op, a), op.reduce(a, axis=-1))
