"""What notebooks and terminals show: short reprs, summary tables, images, progress bars, and
sweeps that share their chunks between this process and a pool when workers cannot be forked."""

from __future__ import annotations

import multiprocessing as mp
import threading
from pathlib import Path

import pandas as pd
import pytest

from zopa import analysis, sim
from zopa.analysis import executors, plots
from zopa.sim import display
from zopa.sim.stats import wilson

ROOT = Path(__file__).resolve().parents[1]
DEC = ROOT / "scenarios" / "december-2022.yaml"
PIE = ROOT / "scenarios" / "split-the-pie.yaml"


@pytest.fixture(scope="module")
def results():
    return sim.simulate(sim.load_scenario(DEC), runs=40, seed=5)


def test_scenario_repr_is_one_short_line():
    scenario = sim.load_scenario(DEC)
    text = repr(scenario)
    assert text.startswith("Scenario('december-2022': 3 actors, 4 issues, 120 month rounds from 2022-12-06, nash")
    assert len(text) < 200 and "\n" not in text and "evidence" not in text


def test_scenario_html_is_a_summary_table():
    scenario = sim.load_scenario(DEC, overrides={"actors.russia.erosion": 0.01})
    page = scenario._repr_html_()
    assert page.startswith("<table>") and page.endswith("</table>")
    for shown in ("Russia", "territory", "120 rounds of a month from 2022-12-06", "actors.russia.erosion=0.01"):
        assert shown in page
    assert len(page) < 3000 and "1 overrides" in repr(scenario)


def test_results_repr_gives_the_shares(results):
    o = results.outcomes
    text = repr(results)
    assert text.startswith("Results('december-2022': 40 worlds, seed 5; ")
    assert f"deal {100 * o['agreed'].mean():.1f}%" in text and len(text) < 200


def test_results_html_is_a_summary_table_with_intervals(results):
    page = results._repr_html_()
    p, lo, hi = wilson(int(results.outcomes["agreed"].sum()), 40)
    assert page.startswith("<table>") and "deal struck" in page
    assert f"{100 * p:.1f}% (95% interval {100 * lo:.1f} to {100 * hi:.1f})" in page
    assert f"{len(results.history):,} rows" in page and len(page) < 4000


def test_results_loaded_from_disk_show_the_same(results, tmp_path):
    loaded = sim.Results.load(results.save(tmp_path / "r"))
    assert repr(loaded) == repr(results) and loaded._repr_html_() == results._repr_html_()


def test_html_cells_are_escaped():
    page = display.html_table("<b>", [("a<b", "x & y")])
    assert "&lt;b&gt;" in page and "a&lt;b" in page and "x &amp; y" in page


def test_sweep_repr_and_html():
    swept = analysis.sweep(PIE, {"actors.a.erosion": [0.0, 0.02]}, runs=10, seed=1, executor="serial")
    assert repr(swept) == "Sweep('split-the-pie': 2 points x 10 worlds, grid over actors.a.erosion)"
    page = swept._repr_html_()
    assert "<table>" in page and "0 to 0.02" in page and "p_deal over the points" in page


def test_figures_render_themselves_as_png(results):
    """Jupyter shows a cell's value through ``_repr_png_`` when pyplot never set up inline display."""
    fig = plots.survival(results)
    png = fig._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_outside_a_notebook_progress_is_plain_text(capsys):
    assert not display.in_notebook()
    bar = display.progress_bar(3, progress=True, desc="x")
    assert type(bar).__module__ == "tqdm.std"
    bar.update(3)
    bar.close()
    assert "3/3" in capsys.readouterr().err


def test_simulate_progress_bar_on_request(capsys):
    scenario = sim.load_scenario(PIE)
    quiet = sim.simulate(scenario, runs=5, seed=1, progress=False)
    assert capsys.readouterr().err == ""
    shown = sim.simulate(scenario, runs=5, seed=1, progress=True)
    assert "simulate" in capsys.readouterr().err
    pd.testing.assert_frame_equal(quiet.outcomes, shown.outcomes)
    assert sim.simulate(scenario, runs=5, seed=1).outcomes.equals(quiet.outcomes)
    assert capsys.readouterr().err == ""     # by default, nothing where stderr is not a terminal


def _square(x: int) -> int:
    return x * x


@pytest.fixture
def another_thread():
    """A second thread, as a Jupyter kernel has: forking this process is then ruled out."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    yield
    stop.set()
    thread.join()


def test_with_threads_running_the_pool_comes_from_a_fork_server(another_thread):
    if "forkserver" not in mp.get_all_start_methods():
        pytest.skip("this platform has no fork server")
    assert executors._context(__name__).get_start_method() == "forkserver"


def test_shared_chunks_each_run_once(another_thread):
    reports: list[tuple[int, int]] = []
    executors.dispatch(_square, {i: (i,) for i in range(12)}, lambda i, r: reports.append((i, r)),
                       executor="processes", workers=2)
    assert sorted(reports) == [(i, i * i) for i in range(12)]


def test_sweep_tables_do_not_depend_on_threads(another_thread):
    vary = {"actors.a.erosion": [0.0, 0.01, 0.02], "actors.b.erosion": [0.0, 0.02]}
    shared = analysis.sweep(PIE, vary, runs=20, seed=3, executor="processes", workers=2, chunk_size=1)
    serial = analysis.sweep(PIE, vary, runs=20, seed=3, executor="serial")
    pd.testing.assert_frame_equal(shared.runs, serial.runs)
    pd.testing.assert_frame_equal(shared.points, serial.points)


def test_in_a_kernel_the_default_sweep_is_serial_and_says_so(another_thread, capsys, monkeypatch):
    """Where workers cannot be forked the default never starts a pool (never slower than serial)."""
    used = []
    real = executors.dispatch
    monkeypatch.setattr(analysis.sweeps, "dispatch", lambda *a, **k: used.append(k["executor"]) or real(*a, **k))
    vary = {"actors.a.erosion": [0.0, 0.01, 0.02]}
    swept = analysis.sweep(PIE, vary, runs=10, seed=3, chunk_size=1, progress=False)
    assert used == ["serial"]
    assert "runs its points one after another" in capsys.readouterr().err
    serial = analysis.sweep(PIE, vary, runs=10, seed=3, executor="serial", progress=False)
    pd.testing.assert_frame_equal(swept.points, serial.points)
