"""Figures that tell the truth: statistics over every world, confidence bands, labels that fit."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from scipy import stats

from zopa import analysis, sim
from zopa.analysis import plots, sweep_plots
from zopa.analysis.figures import sweep_figure

ROOT = Path(__file__).resolve().parents[1]
DEC, WAGE, PIE = (ROOT / "scenarios" / f"{n}.yaml" for n in ("december-2022", "wage-talks", "split-the-pie"))


@pytest.fixture(scope="module", params=[DEC, WAGE], ids=lambda p: p.stem)
def results(request):
    return sim.simulate(sim.load_scenario(request.param), runs=80, seed=5)


def _median_over_all_worlds(results, actor: str, rnd: int) -> float:
    """Independently: every world at its history row of that round; a world whose history ended earlier
    (at its deal) at its last row, its value at the deal. With relapse (december-2022) every world's
    history runs to the horizon; without it (wage-talks) the history stops at the deal."""
    h = results.history
    upto = h[h["round"] <= rnd].sort_values(["world", "round"])
    values = upto.groupby("world")[f"reservation.{actor}"].last().to_numpy()
    assert len(values) == len(results.outcomes)
    return float(np.median(values))


def test_timeline_medians_are_over_every_world_with_deals_held(results):
    fig = plots.zopa_timeline(results)
    horizon = results.scenario.horizon
    dealt = results.outcomes["agreement_round"].dropna()
    assert len(dealt), "the scenario must give some deals for this test to mean anything"
    checked = sorted({int(dealt.median()) + 1, horizon - 1, 1})
    for actor, spec in results.scenario.actors.items():
        line = next(ln for ln in fig.axes[0].lines if ln.get_label() == (spec.label or actor))
        y = np.asarray(line.get_ydata(), dtype=float)
        assert len(y) == max(horizon, results.history["round"].max() + 1)
        for rnd in checked:
            assert y[rnd] == pytest.approx(_median_over_all_worlds(results, actor, rnd), abs=1e-12)


def test_timeline_marks_events_and_keeps_the_deal_line_visible():
    res = sim.simulate(sim.load_scenario(DEC), runs=40, seed=2)
    fig = plots.zopa_timeline(res)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("event: mediation") for t in texts)
    assert any(t.startswith("talks start") for t in texts) and any(t.startswith("deal agreed") for t in texts)
    style = plots.MARK_STYLE
    assert style["agreement"]["lw"] < style["talks"]["lw"]     # a thin dark line over a wide pale one
    low, high = fig.axes[0].get_ylim()
    assert "0-1" not in fig.axes[0].get_ylabel() and "below 0" in fig.axes[0].get_ylabel()
    assert fig.axes[1].get_ylabel() == "worlds (%)" and fig.axes[1].get_ylim() == (0, 100)


def test_survival_band_is_scipys_kaplan_meier_interval(results):
    horizon = results.scenario.horizon
    table = plots.survival_table(results.outcomes, horizon)
    r = pd.to_numeric(results.outcomes["zopa_round"]).astype(float).to_numpy()
    seen = np.isfinite(r)
    data = stats.CensoredData(uncensored=r[seen], right=np.full((~seen).sum(), horizon - 1.0))
    sf = stats.ecdf(data).sf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(0.95)
    rounds = np.arange(horizon)
    np.testing.assert_allclose(table["zopa"], sf.evaluate(rounds))
    np.testing.assert_allclose(table["zopa_lo"], band.low.evaluate(rounds))
    np.testing.assert_allclose(table["zopa_hi"], band.high.evaluate(rounds))
    fig = plots.survival(results)
    assert sum(isinstance(c, PolyCollection) for c in fig.axes[0].collections) >= 3


def test_one_parameter_sweep_draws_a_line_with_its_wilson_band():
    swept = analysis.sweep(PIE, {"actors.a.erosion": [0.0, 0.02, 0.05]}, runs=12, seed=3, executor="serial")
    fig = sweep_figure(swept, "heatmap")
    ax = fig.axes[0]
    line = next(ln for ln in ax.lines if isinstance(ln, Line2D) and ln.get_label() == "p_deal")
    np.testing.assert_allclose(line.get_ydata(), 100 * swept.points["p_deal"].to_numpy())
    band = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(band) == 1
    ys = band[0].get_paths()[0].vertices[:, 1]
    lo, hi = 100 * swept.points["p_deal_lo"].to_numpy(), 100 * swept.points["p_deal_hi"].to_numpy()
    assert ys.min() == pytest.approx(lo.min()) and ys.max() == pytest.approx(hi.max())
    assert not ax.images                                        # no one-row heatmap


def _inside(fig, artist) -> bool:
    FigureCanvasAgg(fig).draw()                  # lays the figure out as saving it does
    box = artist.get_window_extent()
    return box.x0 >= 0 and box.x1 <= fig.bbox.width


def test_titles_fit_their_figures():
    table = pd.DataFrame({"parameter": ["actors.a.erosion", "battlefield.p_a"], "S1": [0.6, 0.1],
                          "S1_conf": [0.1, 0.05], "ST": [0.8, 0.2], "ST_conf": [0.12, 0.06]})
    fig = sweep_plots.sensitivity(table, outcome="p_deal")
    assert _inside(fig, fig.axes[0].title)
    res = sim.simulate(sim.load_scenario(DEC), runs=10, seed=2)
    fig = plots.zopa_timeline(res)
    assert _inside(fig, fig.axes[0].title)
