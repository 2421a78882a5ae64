"""Calibration by rejection ABC over worlds, checked on a posterior known in closed form.

A Beta(2, 3) prior on side A's chance of winning a battle, updated by 7 wins in 10 battles, has the
Beta(9, 6) posterior (conjugacy: Raiffa & Schlaifer 1961); the chance that a world reproduces the 7 wins
is the Beta-Binomial(10, 2, 3) probability of 7. The model's actor A learns the same wins, so its
reservation after ten battles (Beta(1, 1) belief, no cost) is (1 + wins) / 12: matching it to 8/12
accepts exactly the worlds with seven wins.
"""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from zopa.analysis.calibrate import CalibrationWarning, calibrate, effective_sample_size, strongest, write_posterior
from zopa.sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "data" / "beta-battles.yaml"
OBS = ROOT / "tests" / "data" / "beta-battles-observations.yaml"
RUNS = 4000


@pytest.fixture(scope="module")
def cal():
    return calibrate(SCENARIO, OBS, runs=RUNS, seed=11)


def test_acceptance_rate_is_the_beta_binomial_probability(cal):
    p = stats.betabinom(10, 2, 3).pmf(7)
    se = np.sqrt(p * (1 - p) / RUNS)
    assert abs(cal.accepted.mean() - p) < 4 * se
    assert cal.ess == cal.accepted.sum()


def test_posterior_matches_the_closed_form_beta_9_6(cal):
    post = cal.posterior["battlefield.p_a"].to_numpy()
    exact = stats.beta(9, 6)
    n = len(post)
    assert abs(post.mean() - exact.mean()) < 4 * exact.std() / np.sqrt(n)
    # the sample variance of n draws has sd about var * sqrt(2 / (n - 1)) (a normal approximation)
    assert abs(post.var() - exact.var()) < 4 * exact.var() * np.sqrt(2 / (n - 1))
    assert stats.kstest(post, exact.cdf).pvalue > 0.001
    top = strongest(cal).iloc[0]
    assert top["parameter"] == "battlefield.p_a" and top["posterior mean"] == pytest.approx(post.mean())


def test_same_seed_same_posterior_and_few_accepted_warn():
    a = calibrate(SCENARIO, OBS, runs=300, seed=4, min_ess=0)
    b = calibrate(SCENARIO, OBS, runs=300, seed=4, min_ess=0)
    assert np.array_equal(a.accepted, b.accepted)
    with pytest.warns(CalibrationWarning, match="effective sample size below 1000"):
        calibrate(SCENARIO, OBS, runs=300, seed=4, min_ess=1000)


def test_effective_sample_size():
    assert effective_sample_size(np.array([1.0, 0, 1, 1])) == 3.0
    assert effective_sample_size(np.array([2.0, 1.0, 1.0])) == pytest.approx(16 / 6)
    assert effective_sample_size(np.zeros(3)) == 0.0


def test_posterior_scenario_runs_and_carries_the_posterior(cal, tmp_path):
    path = write_posterior(cal, tmp_path / "posterior.yaml", draws=300, seed=1)
    from zopa import sim
    s = sim.load_scenario(path)
    assert s.name == "beta-battles-posterior" and s.battlefield.p_a.kind == "choice"
    drawn = np.array(s.battlefield.p_a.args)
    assert set(drawn) <= set(cal.posterior["battlefield.p_a"])
    assert abs(drawn.mean() - 0.6) < 4 * stats.beta(9, 6).std() / np.sqrt(len(set(drawn)))
    assert main(["run", str(path), "--runs", "20", "--seed", "1"]) == 0


def test_calibrate_command_writes_plots_and_posterior(tmp_path, capsys):
    out = tmp_path / "cal"
    assert main(["calibrate", str(SCENARIO), "--observations", str(OBS), "--runs", "400", "--seed", "2",
                 "--min-ess", "10", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "effective sample size" in text and "battlefield.p_a" in text
    assert {p.name for p in out.iterdir()} >= {"posterior.png", "accepted.parquet", "posterior.yaml"}


def test_fitting_split_by_date_and_missing_tolerance(tmp_path):
    cal = calibrate(SCENARIO, OBS, runs=50, seed=0, until=dt.date(2024, 3, 1), min_ess=0)
    assert cal.fit == ["belief-after-ten", "no-deal", "first-talks"]
    with pytest.raises(ValueError, match="found no observation known by 2024-02-29"):
        calibrate(SCENARIO, OBS, runs=50, seed=0, until=dt.date(2024, 2, 29), min_ess=0)
    text = OBS.read_text().replace("    tolerance: 0.001\n", "")
    bare = tmp_path / "obs.yaml"
    bare.write_text(text)
    with pytest.raises(ValueError, match="found no tolerance for a quantity"):
        calibrate(SCENARIO, bare, runs=50, seed=0, min_ess=0)


def test_agrees_with_pyabc_abc_smc_on_a_small_case(tmp_path):
    """pyabc's ABC-SMC (Klinger, Rickert & Hasenauer 2018) on the same model and data, one world per
    particle: its posterior mean of p_a agrees with ours and both with Beta(9, 6) within Monte Carlo error."""
    import pyabc    # in the test extra: a missing install fails here rather than skipping
    from zopa import sim
    from zopa.sim.scenario.params import Param

    base = sim.load_scenario(SCENARIO)
    seeds = iter(range(10**6))

    def model(params):
        p = Param("fixed", (float(params["p_a"]),))
        s = base.model_copy(update={"battlefield": base.battlefield.model_copy(update={"p_a": p})})
        h = sim.simulate(s, runs=1, seed=next(seeds), history=True).history
        return {"belief": float(h.loc[h["round"] == 2, "reservation.a"].iloc[0])}

    np.random.seed(5)          # pyabc draws from numpy's global generator
    abc = pyabc.ABCSMC(model, pyabc.Distribution(p_a=pyabc.RV("beta", 2, 3)),
                       lambda x, y: abs(x["belief"] - y["belief"]), population_size=150,
                       eps=pyabc.epsilon.ListEpsilon([0.1, 0.001]), sampler=pyabc.sampler.SingleCoreSampler())
    abc.new(f"sqlite:///{tmp_path / 'abc.db'}", {"belief": 8 / 12})
    frame, weights = abc.run(max_nr_populations=2).get_distribution()
    theirs = float(np.sum(frame["p_a"].to_numpy() * weights))
    ess = effective_sample_size(weights)
    ours = calibrate(SCENARIO, OBS, runs=RUNS, seed=11).posterior["battlefield.p_a"].to_numpy()
    sd = stats.beta(9, 6).std()
    assert abs(theirs - 0.6) < 4 * sd / np.sqrt(ess)
    assert abs(theirs - ours.mean()) < 4 * sd * np.sqrt(1 / ess + 1 / len(ours))


def test_no_world_accepted_warns_and_writes_no_posterior(tmp_path):
    text = OBS.read_text().replace("observed: 0.6666666666666666", "observed: 2.0")
    impossible = tmp_path / "obs.yaml"
    impossible.write_text(text)
    with pytest.warns(CalibrationWarning, match="no world of 100 reproduces every fitting observation"):
        cal = calibrate(SCENARIO, impossible, runs=100, seed=0)
    assert cal.ess == 0.0
    with pytest.raises(ValueError, match="found no accepted world"):
        write_posterior(cal, tmp_path / "p.yaml")


def test_figures_of_prior_and_posterior(cal):
    from zopa.analysis.backtest_plots import _label, pair_figure, posterior_figure

    fig = posterior_figure(cal.prior, cal.posterior, ["battlefield.p_a"])
    assert fig.axes[0].get_xlabel() == "battlefield.p_a (scenario units)"
    pair = pair_figure(cal.prior, cal.posterior, "battlefield.p_a", "battlefield.p_a")
    assert f"posterior ({int(cal.accepted.sum())} accepted)" in [t.get_text() for t in pair.axes[0].get_legend().texts]
    assert _label("actors.russia.shifts.0.red_lines.operation_goals.min").split("\n") == [
        "actors.russia.shifts.0.red_lines", "operation_goals.min (scenario units)"]
