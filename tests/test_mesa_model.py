"""The model as a Mesa user meets it: batch_run, agents that own their state, seeds as Mesa passes them."""

from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from zopa import sim
from zopa.sim.model import NegotiationModel

ROOT = Path(__file__).resolve().parents[1]
PIE = str(ROOT / "scenarios" / "split-the-pie.yaml")
DEC = str(ROOT / "scenarios" / "december-2022.yaml")


def test_batch_run_varies_a_flat_override_and_its_table_saves_to_parquet(tmp_path):
    rows = mesa.batch_run(NegotiationModel, parameters={"scenario": PIE, "actors.a.reservation": [0.1, 0.3]},
                          iterations=1, max_steps=20, display_progress=False)
    table = pd.DataFrame(rows)
    assert sorted(table["actors.a.reservation"].unique()) == [0.1, 0.3]
    # the override reaches the agents: actor a's reservation is the value set, in every world
    a_rows = table[table["actor"] == "a"].set_index("actors.a.reservation")
    assert a_rows.loc[0.1, "reservation"] == pytest.approx(0.1)
    assert a_rows.loc[0.3, "reservation"] == pytest.approx(0.3)
    table.to_parquet(tmp_path / "batch.parquet")
    assert len(pd.read_parquet(tmp_path / "batch.parquet")) == len(table)


def test_agents_own_their_per_world_state():
    model = NegotiationModel(DEC, runs=50, rng=3)
    reservations = model.agents.get("reservation")
    assert len(reservations) == 3 and all(r.shape == (50,) for r in reservations)
    np.testing.assert_array_equal(np.stack(reservations, axis=1), model.last["reservation"])
    beliefs = model.agents.get("belief")
    assert all(b.shape == (50,) for b in beliefs)
    red_lo = model.agents.get("red_lo")
    assert red_lo[0].shape == (50, len(model.worlds.range_issues))
    # the agent's red lines are the model's arrays, not a copy: a shift shows through
    assert np.shares_memory(red_lo[0], model.worlds.red_lo)
    model.step()
    assert all(np.shape(s) == (50,) for s in model.agents.get("setbacks"))


def test_step_after_the_end_does_nothing():
    model = NegotiationModel(PIE, runs=5, rng=1)
    model.run_model()
    assert not model.running
    rounds, agreed = model.round, model.deal.agreed.copy()
    for _ in range(3):
        model.step()
    assert model.round == rounds
    np.testing.assert_array_equal(model.deal.agreed, agreed)


@pytest.mark.parametrize("seed", ["7", 7, np.random.SeedSequence(7)])
def test_rng_takes_what_mesa_passes(seed):
    model = NegotiationModel(DEC, runs=200, rng=seed)
    model.run_model()
    reference = NegotiationModel(DEC, runs=200, rng=7)
    reference.run_model()
    np.testing.assert_array_equal(model.deal.round, reference.deal.round)


def test_the_model_draws_battles_from_the_generator_mesa_seeds():
    model = NegotiationModel(DEC, runs=100, rng=5)
    first = model.rng.bit_generator.state
    model.step()
    assert model.rng.bit_generator.state != first      # the battles came from model.rng
    twin = NegotiationModel(DEC, runs=100, rng=5)
    twin.step()
    np.testing.assert_array_equal(model.a_wins, twin.a_wins)


def test_a_bad_seed_is_a_clear_error():
    with pytest.raises(ValueError, match="rng: found 'abc'"):
        NegotiationModel(PIE, rng="abc")


def test_simulate_uses_the_models_own_run_loop(monkeypatch):
    calls = []
    real = NegotiationModel.run_model
    monkeypatch.setattr(NegotiationModel, "run_model", lambda self: calls.append(1) or real(self))
    sim.simulate(sim.load_scenario(PIE), runs=3, seed=0)
    assert calls == [1]


def test_flat_overrides_on_a_loaded_scenario_reload_its_file():
    scenario = sim.load_scenario(PIE)
    model = NegotiationModel(scenario, runs=2, rng=0, **{"actors.b.reservation": 0.25})
    assert model.last["reservation"][:, 1] == pytest.approx([0.25, 0.25])
