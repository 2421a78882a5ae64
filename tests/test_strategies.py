"""The shared strategies themselves: valid scenarios are valid, every mutation kind is drawn."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zopa import sim
from strategies import MUTATION_KINDS, Mutation, mutations, scenarios, write_scenario


@given(scenarios())
def test_generated_scenarios_load_without_warnings(tmp_path_factory, data):
    path = write_scenario(tmp_path_factory.mktemp("s"), data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scenario = sim.load_scenario(path)
    assert set(scenario.actors) == set(data["actors"])
    assert set(scenario.issues) == set(data["issues"])


@given(scenarios())
def test_generated_scenarios_stay_in_the_documented_bounds(data):
    assert 2 <= len(data["actors"]) <= 5
    assert 1 <= len(data["issues"]) <= 4


def _collect(strategy, n: int, key) -> set:
    seen: set = set()

    @settings(max_examples=n, derandomize=True, database=None)
    @given(strategy)
    def draw(x):
        seen.add(key(x))

    draw()
    return seen


@pytest.mark.parametrize("kind", MUTATION_KINDS)
def test_every_mutation_kind_breaks_its_path(kind):
    """Each mutator makes the scenario differ from a valid one at the path it names."""
    seen = _collect(mutations(kinds=(kind,)), 5, lambda m: (m.kind, bool(m.path)))
    assert seen == {(kind, True)}


def test_scenarios_mix_range_and_levels_issues_and_war_reservations():
    kinds = _collect(scenarios(), 100, lambda d: (
        frozenset("range" if "range" in i else "levels" for i in d["issues"].values()),
        any(isinstance(a["reservation"], dict) and "war" in a["reservation"] for a in d["actors"].values()),
        "battlefield" in d))
    assert frozenset({"range", "levels"}) in {k[0] for k in kinds}
    assert {True, False} <= {k[1] for k in kinds}
    assert {True, False} <= {k[2] for k in kinds}


@given(st.sampled_from(MUTATION_KINDS).flatmap(lambda k: mutations(kinds=(k,))))
def test_a_mutation_names_its_kind_and_a_path(mutation):
    assert isinstance(mutation, Mutation)
    assert mutation.kind in MUTATION_KINDS
    assert mutation.path
