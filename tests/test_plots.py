"""Every figure renders real results, and the edge cases (no deals, one world, one point), to PNG."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from zopa import analysis
from zopa import sim
from zopa.analysis import plots, sweep_plots
from zopa.analysis.figures import write_figures, write_sweep_figures

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {p.stem: p for p in (ROOT / "scenarios").glob("*.yaml")}
RUN_PLOTS = [plots.zopa_timeline, plots.survival, plots.terms, plots.utilities]


def render(fig: Figure, path: Path) -> Path:
    assert isinstance(fig, Figure) and fig.axes
    fig.savefig(path)
    assert path.stat().st_size > 5_000
    return path


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def results(request):
    return sim.simulate(sim.load_scenario(SCENARIOS[request.param]), runs=40, seed=11)


def no_deals(results):
    """The same worlds with every deal removed: nothing agreed, talks never started."""
    out = results.outcomes.copy()
    out["agreed"] = False
    for col in ("agreement_round", "talks_round"):
        out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    for col in ("agreement_date", "talks_date"):
        out[col] = pd.NaT
    for col in [c for c in out.columns if c.startswith(("terms.", "utility."))]:
        out[col] = None if out[col].dtype == object else np.nan
    hist = results.history.assign(agreed=False, talks=False)
    return dataclasses.replace(results, outcomes=out, history=hist)


@pytest.mark.parametrize("plot", RUN_PLOTS, ids=lambda f: f.__name__)
def test_run_figures_render(results, plot, tmp_path):
    fig = plot(results)
    render(fig, tmp_path / "fig.png")
    for ax in fig.axes:
        if ax.has_data():
            assert ax.get_xlabel() and ax.get_ylabel(), "every axis names its unit"


@pytest.mark.parametrize("plot", RUN_PLOTS, ids=lambda f: f.__name__)
def test_figures_without_any_deal_say_so(results, plot, tmp_path):
    fig = plot(no_deals(results))
    render(fig, tmp_path / "fig.png")
    if plot in (plots.terms, plots.utilities):
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert any("no deals" in t for t in texts)


@pytest.mark.parametrize("plot", RUN_PLOTS, ids=lambda f: f.__name__)
def test_figures_of_a_single_world(plot, tmp_path):
    one = sim.simulate(sim.load_scenario(SCENARIOS["december-2022"]), runs=1, seed=2)
    render(plot(one), tmp_path / "fig.png")


def test_timeline_of_one_world_and_time_axes_are_dates(results, tmp_path):
    fig = plots.zopa_timeline(results, world=3)
    render(fig, tmp_path / "w.png")
    start = pd.Timestamp(results.scenario.calendar.start)
    lo, _ = fig.axes[0].get_xlim()
    assert abs(pd.Timestamp(np.datetime64(int(lo * 86400), "s")) - start) < pd.Timedelta(days=400)
    with pytest.raises(ValueError, match="world"):
        plots.zopa_timeline(results, world=10_000)


def test_timeline_needs_history():
    res = sim.simulate(sim.load_scenario(SCENARIOS["split-the-pie"]), runs=2, seed=1, history=False)
    with pytest.raises(ValueError, match="history=True"):
        plots.zopa_timeline(res)


def test_each_actor_keeps_its_colour(results):
    colors = plots.actor_colors(results)
    assert colors == sim.actor_colors(results.scenario)
    fig = plots.zopa_timeline(results)
    labels = {line.get_label(): mcolors.to_hex(line.get_color()) for line in fig.axes[0].lines}
    for actor, spec in results.scenario.actors.items():
        assert labels[spec.label or actor] == mcolors.to_hex(colors[actor])
    boxes = plots.utilities(results).axes[0].patches
    if boxes:
        assert [mcolors.to_hex(b.get_facecolor()) for b in boxes] == [mcolors.to_hex(c) for c in colors.values()]


def test_survival_curves_fall_from_one_and_match_the_table(results):
    table = plots.survival_table(results.outcomes, results.scenario.horizon)
    for event in ("zopa", "talks", "agreement"):
        s = table[event].to_numpy()
        assert (np.diff(s) <= 1e-12).all() and 0 <= s[-1] <= 1
        never = pd.to_numeric(results.outcomes[f"{event}_round"]).isna().mean()
        assert s[-1] == pytest.approx(never)


def test_write_figures_for_a_run(results, tmp_path):
    paths = write_figures(results, tmp_path)
    assert [p.name for p in paths] == ["timeline.png", "survival.png", "terms.png", "utilities.png"]
    assert all(p.stat().st_size > 5_000 for p in paths)


def test_run_figures_from_disk_without_the_scenario(results, tmp_path):
    results.save(tmp_path)
    loaded = sim.Results.load(tmp_path)
    loaded = dataclasses.replace(loaded, scenario=None)
    for plot in RUN_PLOTS:
        render(plot(loaded), tmp_path / f"{plot.__name__}.png")


# ------------------------------------------------------------------------------------- sweeps

@pytest.fixture(scope="module")
def grid():
    vary = {"actors.russia.erosion": [0.002, 0.008], "actors.united_states.reservation": [0.3, 0.4, 0.45]}
    return analysis.sweep(SCENARIOS["december-2022"], vary, runs=8, seed=1, executor="serial")


def test_heatmap_of_a_grid(grid, tmp_path):
    fig = sweep_plots.heatmap(grid, "actors.russia.erosion", "actors.united_states.reservation")
    render(fig, tmp_path / "h.png")
    assert "utility per round" in fig.axes[0].get_xlabel()
    for outcome in ("p_zopa", "rounds_to_zopa"):
        render(sweep_plots.heatmap(grid, "actors.united_states.reservation", outcome=outcome), tmp_path / "o.png")
    with pytest.raises(ValueError, match="varied parameter"):
        sweep_plots.heatmap(grid, "battlefield.p_a", "actors.russia.erosion")


def test_heatmap_of_a_single_point_and_of_scattered_points(tmp_path):
    one = analysis.sweep(SCENARIOS["split-the-pie"], {"actors.a.erosion": [0.01]}, runs=3, executor="serial")
    render(sweep_plots.heatmap(one, "actors.a.erosion"), tmp_path / "one.png")
    lhs = analysis.sweep(SCENARIOS["split-the-pie"], {"actors.a.erosion": (0, 0.05), "actors.b.erosion": (0, 0.05)},
                         design="lhs", samples=6, runs=3, executor="serial")
    render(sweep_plots.heatmap(lhs, "actors.a.erosion", "actors.b.erosion"), tmp_path / "lhs.png")


def test_sensitivity_bars(tmp_path):
    table = pd.DataFrame({"parameter": ["actors.a.erosion", "battlefield.p_a"], "S1": [0.6, 0.1],
                          "S1_conf": [0.1, 0.05], "ST": [0.8, 0.2], "ST_conf": [0.12, 0.06]})
    fig = sweep_plots.sensitivity(table, outcome="p_deal")
    render(fig, tmp_path / "s.png")
    assert len(fig.axes[0].patches) == 4


def test_write_sweep_figures(grid, tmp_path):
    assert [p.name for p in write_sweep_figures(grid, tmp_path)] == ["heatmap.png"]
