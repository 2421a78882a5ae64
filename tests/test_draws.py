"""Battle draws against numpy's own binomial: the same numbers, and the stream left where numpy leaves it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zopa.sim.model import draws

SPECIAL = np.array([0.0, 1.0, 0.5, 0.5 + 2**-53, 0.5 - 2**-54, 1e-300, 1.0 - 2**-53, 2**-1074])


def _both(seed, n, p, **kw):
    """Ours and numpy's draws from two generators seeded alike, and whether the streams agree after."""
    ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
    a = draws.binomial(ours, n, p, **kw)
    b = theirs.binomial(n, p)
    return a, b, ours.bit_generator.state == theirs.bit_generator.state


def _odds(rng, size):
    """Chances of success: uniform, with 0, 1, one half and values one unit off them mixed in."""
    p = rng.random(size)
    pick = rng.random(size) < 0.2
    p[pick] = rng.choice(SPECIAL, pick.sum())
    return p


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3000),
       st.sampled_from(["one", "zero-or-one", "up-to-10", "a count"]), st.integers(0, 10))
def test_binomial_is_numpys_draw_for_draw(seed, size, trials, count):
    """Every count equals numpy's, with the same dtype and shape, and both generators end in the same state:
    one trial everywhere (a battle a round), zero or one (battles under a partial deal), up to ten in each
    world, or one count of up to ten in every world (several battles a round)."""
    rng = np.random.default_rng(seed)
    p = _odds(rng, size)
    n = {"one": 1, "zero-or-one": rng.integers(0, 2, size), "up-to-10": rng.integers(0, 11, size),
         "a count": count}[trials]
    a, b, same_state = _both(seed + 1, n, p)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    assert same_state


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 500))
def test_a_near_tie_goes_to_numpy_with_the_stream_put_back(seed, size):
    """With a tie wide enough to catch every draw, each call hands over to numpy after restoring the
    stream: the draws are still numpy's, and so is the state after them."""
    rng = np.random.default_rng(seed)
    for n in (1, rng.integers(0, 4, size)):
        a, b, same_state = _both(seed, n, _odds(rng, size), tie=2.0)
        np.testing.assert_array_equal(a, b)
        assert same_state


def test_what_numpy_does_not_invert_is_numpys():
    """More than ten trials, a scalar chance, or odds out of range: numpy's draws, or numpy's error."""
    p = np.linspace(0.0, 1.0, 101)
    for n, chance in ((11, p), (np.full(101, 40), p), (1, 0.3)):
        a, b, same_state = _both(7, n, chance)
        np.testing.assert_array_equal(a, b)
        assert same_state
    for bad in (np.array([0.2, np.nan]), np.array([0.2, 1.5]), np.array([-0.1, 0.2])):
        with pytest.raises(ValueError):
            draws.binomial(np.random.default_rng(0), 1, bad)


def test_a_uniform_at_the_edge_of_numpys_last_probability_is_handed_over():
    """A uniform that clears ``1 - p`` by about ``p`` is where numpy could start over (its probabilities
    spent by rounding): both array paths hand it to numpy rather than guess; one a little lower they draw."""
    edge, inside = np.array([1.0 - 2**-53]), np.array([0.75])
    for p in (np.array([0.5]), np.array([0.3]), np.array([0.9])):
        assert draws._bernoulli(edge.copy(), p, draws.TIE) is None
        assert draws._inversion(edge.copy(), np.array([1]), p, draws.TIE) is None
        assert draws._bernoulli(inside.copy(), p, draws.TIE) is not None
        assert draws._inversion(inside.copy(), np.array([1]), p, draws.TIE) is not None
