"""Properties of whole simulations of generated scenarios (every protocol): deals lie inside every red
line and give every actor at least its reservation; the same seed gives the same tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from zopa import sim
from zopa.sim.scenario.params import Param
from strategies import scenarios, write_scenario

PROTOCOLS = ["nash", "kalai-smorodinsky", "egalitarian", "alternating-offers", "concession"]


def _bound(outcomes: pd.DataFrame, actor: str, issue: str, key: str, value) -> np.ndarray | None:
    """A red-line bound per world: the sampled column, or the fixed value."""
    column = f"actors.{actor}.red_lines.{issue}.{key}"
    if column in outcomes:
        return outcomes[column].to_numpy()
    if isinstance(value, Param):
        return np.full(len(outcomes), value.args[0])
    return None


def _check_deals(scenario: sim.Scenario, o: pd.DataFrame) -> None:
    deals = o[o["agreed"]]
    for actor, spec in scenario.actors.items():
        util, res = deals[f"utility.{actor}"].to_numpy(), deals[f"reservation.{actor}"].to_numpy()
        assert (util >= res - 1e-9).all(), (actor, (res - util).max())
        for issue_id, rl in spec.red_lines.items():
            terms = deals[f"terms.{issue_id}"]
            if scenario.issues[issue_id].is_levels:
                levels = scenario.issues[issue_id].levels
                lo = levels.index(rl.min) if rl.min is not None else 0
                hi = levels.index(rl.max) if rl.max is not None else len(levels) - 1
                ok = [(rl.allowed is None or t in rl.allowed) and lo <= levels.index(t) <= hi for t in terms]
                assert all(ok), (actor, issue_id, list(terms))
                continue
            for key, cmp in (("min", np.greater_equal), ("max", np.less_equal)):
                b = _bound(deals, actor, issue_id, key, getattr(rl, key))
                if b is not None:
                    assert cmp(terms.to_numpy(dtype=float), b + (-1e-9 if key == "min" else 1e-9)).all()


@settings(max_examples=40, deadline=None)
@given(scenarios(max_actors=4, max_issues=3), st.sampled_from(PROTOCOLS), st.integers(0, 2**31))
def test_deals_respect_red_lines_and_reservations(tmp_path_factory, data, protocol, seed):
    data = {**data, "protocol": protocol, "horizon": min(int(data.get("horizon", 12)), 12)}
    data.pop("events", None)                       # red lines then stay as written for the whole run
    for actor in data["actors"].values():
        actor.pop("shifts", None)
    path = write_scenario(tmp_path_factory.mktemp("s"), data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sim.ScenarioWarning)
        scenario = sim.load_scenario(path)
    first = sim.simulate(scenario, runs=8, seed=seed)
    _check_deals(scenario, first.outcomes)
    again = sim.simulate(scenario, runs=8, seed=seed)
    pd.testing.assert_frame_equal(first.outcomes, again.outcomes)
    pd.testing.assert_frame_equal(first.history, again.history)
