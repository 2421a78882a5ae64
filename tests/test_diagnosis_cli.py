"""``zopa why`` on the command line, its tables and figures, and the binding issue in ``zopa run``."""

from __future__ import annotations

import matplotlib
import pandas as pd

from zopa import sim
from zopa.sim.cli import main
from tests.cases import two_party, write

matplotlib.use("Agg")


def test_zopa_why_prints_the_report_and_writes_tables_and_figures(tmp_path, capsys):
    path = write(tmp_path, two_party(reservations=(0.6, 0.5)))
    out = tmp_path / "why"
    assert main(["why", str(path), "--runs", "3", "--seed", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "A zone of agreement is open in 0.0% of the 3 worlds" in text
    assert "a's reservation would have to drop by 0.1 (0.1-0.1) utility" in text
    table = pd.read_parquet(out / "why.parquet")
    assert set(table["kind"]) == {"reservation"} and table["binds"].all()
    assert (out / "concessions.png").stat().st_size > 0 and (out / "ripeness.png").exists()
    worlds = pd.read_parquet(out / "why-worlds.parquet")
    assert len(worlds) == 3 and (worlds["pair"] == "a+b").all()


def test_zopa_why_refuses_a_round_and_a_date_together(tmp_path, capsys):
    path = write(tmp_path, two_party())
    try:
        main(["why", str(path), "--round", "1", "--date", "2024-02-01"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("argparse accepted --round and --date together")
    assert "not allowed with argument" in capsys.readouterr().err


def test_zopa_why_reports_a_bad_date_in_one_line(tmp_path, capsys):
    path = write(tmp_path, two_party())
    assert main(["why", str(path), "--date", "1999-01-01"]) == 1
    assert capsys.readouterr().err.startswith("zopa: error: date: found 1999-01-01")


def test_same_seed_same_why_tables(tmp_path):
    s = sim.load_scenario("scenarios/december-2022.yaml")
    one, two = (sim.why(s, runs=40, seed=3, date="2024-06-01") for _ in range(2))
    for name in ("worlds", "constraints", "clashes", "coalitions", "ripeness"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))


def test_run_summary_names_the_binding_issue(tmp_path, capsys):
    """The tariff clash: 0% deals, and the summary names the tariff, not only the two actors."""
    data = {"name": "tariffs", "title": "A tariff dispute", "calendar": {"start": "2025-01-01"}, "horizon": 2,
            "issues": {"tariff": {"range": [0, 50]}, "quota": {"range": [0, 1]}},
            "actors": {"eu": {"weights": {"tariff": 1, "quota": 1}, "ideal": {"tariff": 0, "quota": 0},
                              "red_lines": {"tariff": {"max": 10}}, "reservation": 0},
                       "us": {"weights": {"tariff": 1, "quota": 1}, "ideal": {"tariff": 50, "quota": 1},
                              "red_lines": {"tariff": {"min": 25}}, "reservation": 0}}}
    assert main(["run", str(write(tmp_path, data)), "--runs", "5", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "binding issue               tariff (its red lines bind in 100% of worlds without a deal" in text
    assert "quota" not in text.split("binding issue")[1]


def test_concessions_figure_ranks_the_constraints_and_ripeness_goes_on_the_timeline(tmp_path):
    from zopa.analysis import why_plots
    data = two_party(reservations=(0.7, 0.5), horizon=6)
    data["actors"]["a"]["erosion"] = 0.01
    results = sim.simulate(sim.load_scenario(write(tmp_path, data)), runs=2, seed=1)
    why = sim.why(results, round=0)
    labels = [t.get_text() for t in why_plots.concessions(why).axes[0].get_yticklabels()]
    assert set(labels) == {"a: reservation -0.2", "b: reservation -0.2"}
    late = sim.why(results, round=6)
    fig = why_plots.timeline_with_ripeness(results, late)
    twin = fig.axes[-1]
    assert twin.get_ylabel() == "share of worlds ripe" and len(twin.get_lines()[0].get_xdata()) == 7


def test_zopa_why_after_every_deal_says_so(capsys):
    """Split the pie: every world agrees at round 0, so at round 5 there is nothing left to diagnose."""
    assert main(["why", "scenarios/split-the-pie.yaml", "--round", "5", "--runs", "4", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "at round 5 (2024-02-05)" in text and "Every world made its deal before this round." in text
