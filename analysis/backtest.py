"""Backtests: a scenario's forecasts of what followed, scored against reference forecasts.

Each observation gets the model's forecast (the share of worlds, or the distribution over worlds)
and three reference forecasts made without the model:

- ``base rate``: a historical frequency named in the observation file (e.g. 16% of wars 1946-2005 ended
  in a peace agreement); for a date, a constant chance per round that reaches that frequency by the
  censoring date. Undefined where the file names none.
- ``persistence``: nothing changes: no new first event, and a quantity or a yes/no state keeps the value
  the observation gives as ``persistence`` (undefined where it gives none).
- ``climatology``: the sample climatology of the file itself, known only in hindsight: the share of
  its events that happened, and for dates the constant chance per round fitted to all its dates,
  censoring included (events / rounds at risk). Undefined for quantities.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import sim
from ..sim.scenario.observations import Observations, load_observations
from .observed import Answers, answers
from .scores import (brier, crps_ensemble, crps_point, date_probabilities, hazard_probabilities, log_score,
                     rps, skill)

__all__ = ["Backtest", "backtest", "score_answers", "summary_table", "summary_text", "REFERENCES",
           "score_held_out"]

REFERENCES = ("base rate", "persistence", "climatology")
SCORES = {"event": ("brier", "log"), "date": ("rps",), "quantity": ("crps",)}


@dataclass
class Backtest:
    """Scores of one or more scenarios on one observation file.

    ``table``: one row per scenario, observation, forecaster and score. ``summary``: mean scores and
    skill per scenario and score. ``record``: seed, runs, files.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    record: dict


def _climatology(found: list[Answers]) -> dict:
    events = [a.observed for a in found if a.observation.kind == "event" and a.observed is not None]
    dates = [a for a in found if a.observation.kind == "date"]
    happened = sum(a.observed < a.categories - 1 for a in dates)
    exposure = sum(min(a.observed, a.categories - 2) for a in dates)
    return {"event": float(np.mean(events)) if events else None,
            "hazard": happened / exposure if exposure else None}


def _event_forecasts(a: Answers, obs: Observations, clim: dict) -> dict:
    o = a.observation
    persistence = o.persistence if o.persistence is not None else (False if o.where is None else None)
    return {"model": float(np.mean(a.values)),
            "base rate": obs.base_rates[o.base_rate].probability if o.base_rate else None,
            "persistence": None if persistence is None else float(persistence),
            "climatology": clim["event"]}


def _date_forecasts(a: Answers, obs: Observations, clim: dict) -> dict:
    o, m = a.observation, a.categories
    rounds = max(1, m - 2)
    base = None
    if o.base_rate:
        p = obs.base_rates[o.base_rate].probability
        base = hazard_probabilities(1 - (1 - p) ** (1 / rounds), m)
    return {"model": date_probabilities(a.values, m), "base rate": base,
            "persistence": np.eye(m)[m - 1],
            "climatology": None if clim["hazard"] is None else hazard_probabilities(clim["hazard"], m)}


def _pending_row(a: Answers) -> list[dict]:
    x = a.values.astype(float)
    if a.observation.kind == "event":
        shown = float(np.mean(x))
    else:
        shown = float(np.nanmedian(x)) if np.isfinite(x).any() else np.nan
    return [{"forecaster": "model", "forecast": shown, "score": "pending", "value": np.nan}]


def _rows_for(a: Answers, forecasts: dict) -> list[dict]:
    o = a.observation
    if a.observed is None:
        return _pending_row(a)
    rows = []
    for who, f in forecasts.items():
        if f is None:
            continue
        if o.kind == "event":
            scores, shown = {"brier": brier(f, a.observed), "log": log_score(f, a.observed)}, f
        elif o.kind == "date":
            scores, shown = {"rps": rps(f, a.observed)}, float(1 - f[-1])
        elif who == "model":
            x = a.values[np.isfinite(a.values)]
            scores, shown = {"crps": crps_ensemble(x, a.observed)}, float(np.median(x)) if len(x) else np.nan
        else:
            scores, shown = {"crps": crps_point(f, a.observed)}, float(f)
        rows += [{"forecaster": who, "forecast": shown, "score": k, "value": v} for k, v in scores.items()]
    return rows


def score_answers(found: list[Answers], obs: Observations) -> pd.DataFrame:
    """One row per observation, forecaster and score (the observation's own columns first)."""
    clim = _climatology(found)
    rows = []
    for a in found:
        o = a.observation
        if o.kind == "event":
            forecasts = _event_forecasts(a, obs, clim)
        elif o.kind == "date":
            forecasts = _date_forecasts(a, obs, clim)
        else:
            forecasts = {"model": a.values, "persistence": o.persistence}
        observed = ("null (censored)" if o.kind == "date" and o.observed is None else "pending" if o.pending
                    else str(o.observed))
        head = {"observation": o.id, "kind": o.kind, "reads": o.reads, "when": pd.Timestamp(o.when),
                "observed": observed}
        if o.kind == "date":
            head["censored_at"] = pd.Timestamp(o.censored_at)
        rows += [{**head, **r} for r in _rows_for(a, forecasts)]
    table = pd.DataFrame(rows)
    for col in ("when", "censored_at"):
        if col in table:
            table[col] = table[col].astype("datetime64[ns]")
    return table


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """Mean score per scenario, score and forecaster, and the model's skill against each reference.

    Each reference is compared with the model on the observations where that reference is defined.
    """
    rows = []
    scored = table[table["score"] != "pending"]
    if scored.empty:        # every observation pending (a prospective file): nothing to average yet
        columns = ["scenario", "score", "observations", "model"]
        for ref in REFERENCES:
            columns += [ref, f"skill vs {ref}", f"n {ref}"]
        return pd.DataFrame(columns=columns)
    for (scenario, score), part in scored.groupby(["scenario", "score"], sort=False):
        wide = part.pivot_table(index="observation", columns="forecaster", values="value", aggfunc="first")
        row = {"scenario": scenario, "score": score, "observations": len(wide),
               "model": float(wide["model"].mean())}
        for ref in REFERENCES:
            both = wide[["model", ref]].dropna() if ref in wide else wide.iloc[:0]
            row[ref] = float(both[ref].mean()) if len(both) else np.nan
            row[f"skill vs {ref}"] = skill(both["model"].mean(), both[ref].mean()) if len(both) else np.nan
            row[f"n {ref}"] = len(both)
        rows.append(row)
    return pd.DataFrame(rows)


def _select(obs: Observations, after, before) -> Observations:
    keep = tuple(o for o in obs.observations
                 if (after is None or o.when > after) and (before is None or o.when <= before))
    if not keep:
        raise ValueError(f"{obs.file}: found no observation dated after {after} and up to {before}, "
                         "expected at least one")
    return obs.model_copy(update={"observations": keep})


def backtest(scenarios: list, observations, *, runs: int = 1000, seed: int = 0, after=None,
             before=None) -> Backtest:
    """Simulate each scenario and score it on the observations (optionally only those dated in (after, before]).

    Parameters
    ----------
    scenarios : list of paths or Scenario
    observations : path or Observations
    runs, seed : keyword-only; every scenario is simulated with the same seed, so the same seed gives
        the same scores.
    after, before : datetime.date, keyword-only; score only observations known in (after, before].
    """
    obs = observations if isinstance(observations, Observations) else load_observations(observations)
    chosen = _select(obs, after, before) if after is not None or before is not None else obs
    tables, digests = [], {}
    for s in scenarios:
        scenario = s if isinstance(s, sim.Scenario) else sim.load_scenario(s)
        digests[scenario.file or scenario.name] = scenario.digest
        results = sim.simulate(scenario, runs=runs, seed=seed, history=True)
        found = answers(obs, results)
        keep = {o.id for o in chosen.observations}
        table = score_answers([a for a in found if a.observation.id in keep], obs)
        table.insert(0, "scenario", scenario.file or scenario.name)
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    record = {"observations": obs.file, "observations_digest": _digest(obs.file), "scenario_digests": digests,
              "runs": runs, "seed": seed, "after": str(after) if after else None,
              "before": str(before) if before else None, "package_version": sim.__version__}
    return Backtest(table, summary_table(table), record)


def score_held_out(cal, *, after) -> Backtest:
    """Score a calibration's observations known after ``after`` on its prior worlds and on its accepted worlds.

    The accepted worlds' own continuations are the posterior predictive, conditioned on each world's
    parameters and on its path up to the fitting date (what a posterior scenario of resampled parameters
    loses); the prior worlds are the uncalibrated forecast from the same simulation.
    """
    obs = load_observations(cal.record["observations"])
    held = _select(obs, after, None)
    keep = {o.id for o in held.observations}
    found = [a for a in answers(obs, cal.results) if a.observation.id in keep]
    name = cal.scenario.file or cal.scenario.name
    tables = []
    everyone = np.ones(len(cal.accepted), dtype=bool)
    for label, mask in (("prior worlds", everyone), ("accepted worlds", cal.accepted)):
        subset = [Answers(a.observation, a.values[mask], a.observed, a.categories) for a in found]
        table = score_answers(subset, obs)
        table.insert(0, "scenario", f"{name} ({label})")
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    return Backtest(table, summary_table(table), {**cal.record, "held_out_after": str(after)})


def _digest(path: str) -> str | None:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path and Path(path).is_file() else None


def _forecast_text(row: pd.Series) -> str:
    if row["kind"] == "event":
        return f"P(yes) {row['forecast']:.0%}"
    if row["kind"] == "date":
        return f"P(by {row['censored_at']:%Y-%m-%d}) {row['forecast']:.0%}"
    return f"median {row['forecast']:.3g}"


def summary_text(result: Backtest) -> str:
    """Per observation the model's forecast and score, then mean scores and skill against each reference."""
    lines = []
    for scenario, part in result.table.groupby("scenario", sort=False):
        lines += [f"{scenario}: {part['observation'].nunique()} observations", ""]
        model = part[part["forecaster"] == "model"]
        for obs_id, rows in model.groupby("observation", sort=False):
            row = rows.iloc[0]
            scores = ", ".join(f"{r['score']} {r['value']:.3f}" for _, r in rows.iterrows()
                               if r["score"] != "pending") or "scored when known"
            lines.append(f"  {obs_id:<34} {row['kind']:<8} observed {row['observed']:<16} "
                         f"{_forecast_text(row):<24} {scores}")
        lines += ["", _skill_text(result.summary[result.summary["scenario"] == scenario]), ""]
    lines.append("Scores: lower is better. Skill 1 - model/reference: above 0 the model beats the reference, "
                 "below 0 it does worse (each on the observations where the reference is defined).")
    return "\n".join(lines)


def _skill_text(summary: pd.DataFrame) -> str:
    if summary.empty:
        return "No observation scored yet: every answer is pending."
    table = pd.DataFrame({"score": summary["score"], "n": summary["observations"],
                          "model": summary["model"].map("{:.3f}".format)})
    for ref in REFERENCES:
        table[ref] = [f"{v:.3f} (skill {_signed(s)}, n={int(n)})" if n else "-"
                      for v, s, n in summary[[ref, f"skill vs {ref}", f"n {ref}"]].to_numpy()]
    return table.to_string(index=False)


def _signed(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:+.2f}"


def save(result: Backtest, directory: str | Path, *, command: str | None = None) -> list[Path]:
    """Write scores.parquet, summary.parquet, record.json, summary.txt and reliability.png, atomically."""
    import json

    from ..sim.io import write_atomic
    from .backtest_plots import reliability_figure

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = [d / "scores.parquet", d / "summary.parquet", d / "record.json", d / "summary.txt",
             d / "reliability.png"]
    write_atomic(paths[0], lambda p: result.table.to_parquet(p, index=False))
    write_atomic(paths[1], lambda p: result.summary.to_parquet(p, index=False))
    record = {**result.record, "command": command}
    write_atomic(paths[2], lambda p: p.write_text(json.dumps(record, indent=2, default=str)))
    write_atomic(paths[3], lambda p: p.write_text(summary_text(result) + "\n"))
    fig = reliability_figure(result.table)
    write_atomic(paths[4], lambda p: fig.savefig(p, format="png", dpi=120))
    return paths
