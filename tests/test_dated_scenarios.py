"""The dated Russia-Ukraine scenarios: each passes the no-hindsight check and is scored on what followed.

Each dated scenario (and its scripted-history variant, where it has one) cites only sources dated on or
before its start outside scripted history (``zopa validate --strict``), and a small backtest over the whole
set scores every observation that is known and forecasts every pending one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zopa.analysis.backtest import backtest, summary_text
from zopa.sim.cli import main as zopa_main

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

# start-date name -> its scenario files (simulated battles first, then the scripted path)
DATED = {
    "march-2022": ["march-2022.yaml", "march-2022-observed.yaml"],
    "december-2022": ["december-2022.yaml", "december-2022-observed.yaml"],
    "december-2023": ["december-2023.yaml", "december-2023-observed.yaml"],
    "february-2025": ["february-2025.yaml", "february-2025-observed.yaml"],
    "march-2026": ["march-2026.yaml"],          # prospective: nothing observed after its start yet
}
NEW = ["march-2022", "december-2022", "december-2023", "february-2025", "march-2026"]


@pytest.mark.parametrize("name", NEW)
def test_dated_scenario_passes_strict_validation(name, capsys):
    files = [str(SCENARIOS / f) for f in DATED[name]]
    code = zopa_main(["validate", "--strict", *files])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert out.out.count(": valid") == len(files)


@pytest.mark.parametrize("name", NEW)
def test_dated_scenario_has_an_observation_file_after_its_start(name):
    from zopa import sim
    from zopa.sim.scenario.observations import load_observations

    obs = load_observations(SCENARIOS / "observations" / f"{name}.yaml")
    start = sim.load_scenario(SCENARIOS / DATED[name][0]).calendar.start
    assert all(o.when >= start for o in obs.observations)


def test_scripted_variant_differs_only_by_scripted_history():
    """The observed variant keeps the positions and beliefs of its base: same actors, issues and parameters."""
    from zopa import sim

    for name, files in DATED.items():
        if len(files) < 2 or name == "december-2022":
            continue
        base, scripted = (sim.load_scenario(SCENARIOS / f) for f in files)
        assert scripted.observed is not None and base.observed is None
        assert base.actors.keys() == scripted.actors.keys()
        assert base.issues == scripted.issues
        assert base.calendar == scripted.calendar and base.horizon == scripted.horizon


@pytest.mark.parametrize("name", NEW)
def test_small_backtest_over_the_dated_set(name):
    files = [SCENARIOS / f for f in DATED[name]]
    from zopa.sim.scenario.observations import load_observations

    obs_file = SCENARIOS / "observations" / f"{name}.yaml"
    result = backtest(files, obs_file, runs=8, seed=3)
    table = result.table
    assert table["scenario"].nunique() == len(files)
    model = table[table["forecaster"] == "model"]
    expected = len(load_observations(obs_file).observations)
    assert (model.groupby("scenario")["observation"].nunique() == expected).all()
    scored = model[model["score"] != "pending"]
    assert np.isfinite(scored["value"]).all()
    if name == "march-2026":                       # prospective: nothing scored, every forecast shown
        assert scored.empty and (model["score"] == "pending").all()
        assert "pending" in summary_text(result)
    else:
        assert not scored.empty and set(result.summary["score"]) >= {"brier", "log"}


@pytest.mark.parametrize("name", [n for n, files in DATED.items() if len(files) == 2])
def test_the_observed_twin_differs_only_by_its_scripted_path(name):
    """A twin replays what happened and nothing else: every key but the scripted path, its events, its
    later sources and its name is the same, so the two scores differ only by the battlefield's path."""
    import yaml

    base, observed = (yaml.safe_load((SCENARIOS / f).read_text()) for f in DATED[name])
    scripted = {"name", "title", "description", "observed", "events", "sources"}
    assert {k: v for k, v in base.items() if k not in scripted} == \
        {k: v for k, v in observed.items() if k not in scripted}
    assert all(event in observed.get("events", []) for event in base.get("events", []))
    assert set(base["sources"]) <= set(observed["sources"])
    assert "observed" in observed and "observed" not in base
