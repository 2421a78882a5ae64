"""Results as tidy tables: one row per world, and one per world and round; saved as Parquet."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .io import write_atomic
from .record import describe, saved_scenario, scenario_from_record
from .stats import KINDS, central_term, date_spread, kinds_by_date, median_date, spread, wilson
from .tables import ordered_levels, read_parquet, write_parquet

__all__ = ["Results", "summary", "summary_text"]


@dataclass(repr=False)
class Results:
    """Outcomes of one :func:`sim.simulate` call.

    Attributes
    ----------
    outcomes : DataFrame, one row per world.
    history : DataFrame or None, one row per world and round (rounds after a deal are dropped).
    scenario : the Scenario simulated (when loaded from disk, rebuilt from the copy in the record).
    seed : int, the root seed; runs : int.
    record : dict, what the results say about themselves: scenario name, file and digest, overrides,
        actors (label, colour), issues (kind, unit, levels, range, description), calendar, seed,
        spawn key, runs, versions, platform and time (see :mod:`sim.record`).
    """

    outcomes: pd.DataFrame
    history: pd.DataFrame | None
    scenario: Any
    seed: int
    runs: int
    record: dict = field(default_factory=dict)
    history_file: Path | None = None       # the history streamed to Parquet (then ``history`` is None)

    def __repr__(self) -> str:
        from .display import results_repr
        return results_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter's view: the headline shares and what was simulated, not the tables."""
        from .display import results_html
        return results_html(self)

    def save(self, directory: str | Path, *, command: str | None = None) -> Path:
        """Write outcomes.parquet, history.parquet and record.json into ``directory``, atomically.

        record.json describes the run fully (see :mod:`sim.record`): with it, :meth:`load` and the
        figures need neither the scenario file nor the directory the run was made in. Files are
        written readable by others (0644 under the usual umask).
        """
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        write_atomic(d / "outcomes.parquet", lambda p: write_parquet(self.outcomes, p))
        if self.history is not None:
            write_atomic(d / "history.parquet", lambda p: write_parquet(self.history, p))
        elif self.history_file is not None and self.history_file.resolve() != (d / "history.parquet").resolve():
            write_atomic(d / "history.parquet", lambda p: os.replace(self.history_file, p))
            self.history_file = d / "history.parquet"
        record = {**self.record, **saved_scenario(self.scenario), "command": command}
        write_atomic(d / "record.json", json.dumps(record, indent=2, default=str) + "\n")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> "Results":
        """Read a directory written by :meth:`save`, from any working directory.

        The scenario is rebuilt from the copy in record.json, overrides included; if its file has
        changed since, a :class:`~sim.ScenarioWarning` says so (the saved copy is still used).
        """
        d = Path(directory)
        missing = [f for f in ("record.json", "outcomes.parquet") if not (d / f).exists()]
        if missing:
            raise ValueError(f"{d}: found no {' or '.join(missing)}, expected a directory written by "
                             "zopa run --out or Results.save")
        record = json.loads((d / "record.json").read_text())
        outcomes = _with_levels(read_parquet(d / "outcomes.parquet"), record)
        history = read_parquet(d / "history.parquet") if (d / "history.parquet").exists() else None
        if history is not None and not _world_major(history):      # streamed: written in round order
            history = history.sort_values(["world", "round"], kind="stable", ignore_index=True)
        scenario = scenario_from_record(record, str(d / "record.json"))
        if scenario is not None and "actors" not in record:   # written by an older version
            record = {**describe(scenario), **record}
        record.pop("scenario_text", None)
        return cls(outcomes, history, scenario, record.get("seed"), record.get("runs"), record)


def _world_major(history: pd.DataFrame) -> bool:
    """Whether the history's rows go world by world, round by round within a world."""
    w, r = history["world"].to_numpy(), history["round"].to_numpy()
    return bool(((w[1:] > w[:-1]) | ((w[1:] == w[:-1]) & (r[1:] > r[:-1]))).all())


def _with_levels(outcomes: pd.DataFrame, record: dict) -> pd.DataFrame:
    """Terms of levels issues as ordered categoricals, also in tables written before they were."""
    for issue, meta in (record.get("issues") or {}).items():
        for col in (f"terms.{issue}", f"partial_terms.{issue}"):
            if meta.get("kind") == "levels" and col in outcomes and not isinstance(outcomes[col].dtype, pd.CategoricalDtype):
                outcomes[col] = ordered_levels(outcomes[col].astype(object).where(outcomes[col].notna(), None),
                                               meta["levels"])
    return outcomes


def _date(t):
    return None if pd.isna(t) else t.date()


def summary(results: Results) -> dict:
    """The headline figures: shares of worlds with a ZOPA, talks and a deal by the horizon, and more."""
    o = results.outcomes
    out = {
        "worlds": len(o),
        "p_zopa": float(o["zopa_round"].notna().mean()),
        "p_talks": float(o["talks_round"].notna().mean()),
        "p_deal": float(o["agreed"].mean()),
        "median_zopa_date": _date(median_date(o["zopa_date"])),
        "median_deal_date": _date(median_date(o["agreement_date"])),
        "terms": {},
        "blocking": None,
    }
    deals = o[o["agreed"]]
    for col in [c for c in o.columns if c.startswith("terms.")]:
        value = central_term(deals[col])
        if value is not None:
            out["terms"][col[6:]] = value
    counts = Counter(a for b in o.loc[~o["agreed"], "blocking"] for a in b)
    if counts:
        without = max(1, int((~o["agreed"]).sum()))
        out["blocking_shares"] = {a: k / without for a, k in counts.most_common()}
        out["blocking"] = counts.most_common(1)[0][0]
        out["blocking_share"] = counts.most_common(1)[0][1] / without
    if "binding_issues" in o.columns:
        issues = Counter(k for b in o.loc[~o["agreed"], "binding_issues"] for k in b)
        without = max(1, int((~o["agreed"]).sum()))
        out["binding_issue_shares"] = {k: v / without for k, v in issues.most_common()}
    return out


def _share(p: float, n: int) -> str:
    """``36.4%  of 5,000 worlds [35.1%, 37.8%]``: the share with its 95% Wilson interval."""
    _, lo, hi = wilson(round(p * n), n)
    return f"{100 * p:5.1f}%  of {n:,} worlds [{100 * lo:.1f}%, {100 * hi:.1f}%]"


def _worlds(n: int) -> str:
    return f"{n:,} world{'' if n == 1 else 's'}"


def _when(what: str, dates: pd.Series, base: str) -> str:
    """``   (median opening 2026-06-06 over the 1,820 worlds where it opens; 10-90% 2024-03-06 to 2030-01-06)``."""
    mid, lo, hi = date_spread(dates)
    if pd.isna(mid):
        return ""
    n = int(pd.to_datetime(dates).notna().sum())
    return (f"   ({what} {_date(mid)} over the {_worlds(n)} {base}; 10-90% {_date(lo)} to {_date(hi)})")


def _terms_lines(results: Results) -> list[str]:
    """The median terms of the deals, each with its 10-90% range and its issue's unit; for a levels issue,
    the most common level and its share of the deals."""
    o, sc = results.outcomes, results.scenario
    deals = o[o["agreed"]]
    rows = []
    for col in [c for c in o.columns if c.startswith("terms.")]:
        issue, value = col[6:], central_term(deals[col])
        if value is None:
            continue
        unit = getattr(sc.issues.get(issue), "unit", None) if sc is not None else None
        if isinstance(value, float):
            mid, lo, hi = spread(deals[col])
            rows.append(f"  {issue:16s} {mid:.3g} [{lo:.3g}, {hi:.3g}]" + (f"  {unit}" if unit else ""))
        else:
            share = float((deals[col].astype(str) == str(value)).mean())
            rows.append(f"  {issue:16s} {value} (the most common level, in {100 * share:.0f}% of the deals)")
    if not rows:
        return []
    return [f"median terms of the {len(deals):,} deal{'' if len(deals) == 1 else 's'} [10-90% range], "
            "in each issue's unit:", *rows]


def summary_text(results: Results) -> str:
    """A short summary a person can read at a glance: shares with their 95% Wilson intervals, medians with
    the worlds they are taken over and their 10-90% ranges, terms in their issues' units."""
    s = summary(results)
    o = results.outcomes
    sc = results.scenario
    horizon = sc.horizon if sc is not None else "?"
    end = str(o.attrs.get("end_date", "")) or "the horizon"
    lines = [
        f"{sc.title if sc is not None else ''}",
        f"{_worlds(s['worlds'])}, seed {results.seed}, {horizon} rounds to {end}, protocol "
        f"{sc.protocol if sc is not None else '?'}",
        "",
        f"ZOPA opens by the horizon   {_share(s['p_zopa'], s['worlds'])}"
        + _when("median opening", o["zopa_date"], "where it opens"),
        f"talks open                  {_share(s['p_talks'], s['worlds'])}",
        f"deal struck                 {_share(s['p_deal'], s['worlds'])}"
        + _when("median date", o["agreement_date"], "with a deal"),
    ]
    lines += _terms_lines(results)
    if s["blocking"]:
        shares = s["blocking_shares"]
        top = [a for a, v in shares.items() if v == s["blocking_share"]]
        rest = ", ".join(f"{a} {100 * v:.0f}%" for a, v in shares.items() if a not in top)
        lines.append(f"most frequent blocker       {' and '.join(top)} "
                     f"({'each ' if len(top) > 1 else ''}in {100 * s['blocking_share']:.0f}% of worlds without a deal "
                     f"at the horizon{'; ' + rest if rest else ''})")
    if s.get("binding_issue_shares"):
        (top, share), *rest = s["binding_issue_shares"].items()
        more = "; " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in rest) if rest else ""
        lines.append(f"binding issue               {top} (its red lines bind in {100 * share:.0f}% of worlds "
                     f"without a deal at the horizon{more}; see zopa why)")
    return "\n".join(lines + _kinds_lines(results))


def _kinds_lines(results: Results) -> list[str]:
    """Shares of worlds that had reached each outcome kind, at a few dates up to the horizon."""
    o = results.outcomes
    if "partial_date" not in o.columns or not len(o):
        return []
    end = pd.Timestamp(o.attrs.get("end_date") or o["agreement_date"].max())
    start = pd.Timestamp(o.attrs.get("start_date") or end)
    dates = pd.date_range(start, end, periods=min(5, max(2, (end - start).days // 28 + 1))).normalize()
    table = kinds_by_date(o, dates)
    head = "by date        " + "".join(f"{KINDS[k]:>14s}" for k in KINDS)
    rows = [f"{str(r['date']):15s}" + "".join(f"{100 * r[k]:13.1f}%" for k in KINDS) for _, r in table.iterrows()]
    return ["", "share of worlds that had reached each outcome, by date:", head, *rows]
