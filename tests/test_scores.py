"""Scoring rules on cases scored by hand (Gneiting & Raftery 2007; Brier 1950; Epstein 1969)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zopa.analysis.scores import (LOG_FLOOR, brier, crps_ensemble, crps_point, date_probabilities,
                                  hazard_probabilities, log_score, rps, skill)


def test_brier_of_a_certain_correct_forecast_is_zero_and_of_a_coin_is_a_quarter():
    assert brier(1.0, True) == 0.0
    assert brier(0.0, False) == 0.0
    assert brier(0.5, True) == 0.25
    assert brier(0.5, False) == 0.25
    assert brier(1.0, False) == 1.0
    assert brier(0.2, True) == pytest.approx(0.64, abs=1e-15)


def test_log_score_by_hand_and_floor_for_certain_wrong_forecasts():
    assert log_score(0.5, True) == pytest.approx(math.log(2), abs=1e-15)
    assert log_score(0.8, False) == pytest.approx(-math.log(0.2), abs=1e-12)
    assert log_score(0.0, True) == pytest.approx(-math.log(LOG_FLOOR), abs=1e-12)
    assert log_score(1.0, True) == pytest.approx(-math.log(1 - LOG_FLOOR), abs=1e-12)


def test_rps_by_hand():
    # three categories, forecast (0.2, 0.5, 0.3), observed the second: F = (0.2, 0.7), O = (0, 1)
    assert rps(np.array([0.2, 0.5, 0.3]), 1) == pytest.approx(0.2 ** 2 + 0.3 ** 2, abs=1e-15)
    assert rps(np.array([0.0, 1.0, 0.0]), 1) == 0.0
    # all mass one category early: a miss by two categories costs 2, by one costs 1
    assert rps(np.array([1.0, 0.0, 0.0]), 2) == 2.0
    assert rps(np.array([0.0, 1.0, 0.0]), 2) == 1.0


def test_censored_date_is_scored_in_the_after_category():
    # rounds 0..3 then "after round 3": nothing happened by the censoring date
    waited = np.array([0, 0, 0, 0, 1.0])
    assert rps(waited, 4) == 0.0
    # a forecast that it happens in round 3 (the last round before censoring) is one category off
    assert rps(np.array([0, 0, 0, 1.0, 0]), 4) == 1.0
    # the same forecast scored as if the event had happened in round 3 would be perfect: censoring matters
    assert rps(np.array([0, 0, 0, 1.0, 0]), 3) == 0.0
    # half the mass after censoring: F = (0, .25, .5, .5) against O = (0, 0, 0, 0)
    assert rps(np.array([0, 0.25, 0.25, 0, 0.5]), 4) == pytest.approx(0.25 ** 2 + 0.5 ** 2 + 0.5 ** 2)


def test_crps_by_hand():
    assert crps_ensemble(np.array([2.0, 2.0, 2.0]), 2.0) == 0.0
    # two members 0 and 1, observed 0: E|X-y| = 0.5, E|X-X'| = 0.5, CRPS = 0.25
    assert crps_ensemble(np.array([0.0, 1.0]), 0.0) == pytest.approx(0.25, abs=1e-15)
    assert crps_point(0.3, 0.81) == pytest.approx(0.51, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=30), st.floats(-10, 10))
def test_crps_equals_its_pairwise_definition(xs, y):
    x = np.array(xs)
    slow = np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :]))
    assert crps_ensemble(x, y) == pytest.approx(slow, abs=1e-9)


def test_skill_scores():
    assert skill(0.0, 0.25) == 1.0
    assert skill(0.25, 0.25) == 0.0
    assert skill(0.5, 0.25) == -1.0
    assert math.isnan(skill(0.1, 0.0))


def test_date_probabilities_and_constant_hazard():
    assert list(date_probabilities(np.array([0, 2, 2, 3]), 4)) == [0.25, 0.0, 0.5, 0.25]
    p = hazard_probabilities(0.5, 4)        # rounds 0..2 and "after": nothing at round 0
    assert list(p) == [0.0, 0.5, 0.25, 0.25]
    assert hazard_probabilities(0.0, 5)[-1] == 1.0
