"""How scenarios, results and progress show in a terminal and in Jupyter.

Reprs are one line; HTML views (``_repr_html_``, which Jupyter shows for a cell's value) are a small
summary table, never the data: the tables themselves are a column away (``results.outcomes``).
Progress bars are tqdm's: its notebook widget inside a Jupyter kernel when ipywidgets is
installed, its text bar everywhere else, so nothing warns that a widget is missing.
"""

from __future__ import annotations

import html
import importlib.util
import sys
from typing import Any, Iterable

from .stats import wilson

__all__ = ["html_table", "scenario_repr", "scenario_html", "results_repr", "results_html",
           "in_notebook", "progress_bar", "show_progress"]


def html_table(caption: str, rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column HTML table (label, value), every cell escaped."""
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                   f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table><caption style='text-align:left'><b>{html.escape(caption)}</b></caption>{body}</table>"


def _outline(d: dict) -> list[tuple[str, str]]:
    """Rows shared by a scenario and its results, read from :func:`sim.record.describe`'s dict."""
    cal = d["calendar"]
    issues = "; ".join(f"{i} ({', '.join(s['levels'])})" if s["kind"] == "levels" else
                       f"{i} {s['range'][0]:g} to {s['range'][1]:g}" + (f" {s['unit']}" if s["unit"] else "")
                       for i, s in d["issues"].items())
    rows = [("actors", ", ".join(a["label"] for a in d["actors"].values())), ("issues", issues),
            ("calendar", f"{d['horizon']} rounds of a {cal['step']} from {cal['start']}"),
            ("protocol", d["protocol"])]
    if d.get("overrides"):
        rows.append(("overrides", ", ".join(f"{k}={v}" for k, v in d["overrides"].items())))
    return rows


def _describe(scenario) -> dict:
    from .record import describe
    return describe(scenario)


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def scenario_repr(scenario) -> str:
    """``Scenario('name': 3 actors, 3 issues, 120 month rounds from 2022-12-06, nash, file.yaml)``."""
    file = f", {scenario.file}" if scenario.file else ""
    sets = f", {len(scenario.overrides)} overrides" if scenario.overrides else ""
    return (f"Scenario({scenario.name!r}: {_n(len(scenario.actors), 'actor')}, {_n(len(scenario.issues), 'issue')}, "
            f"{scenario.horizon} {scenario.calendar.step} rounds from {scenario.calendar.start}, "
            f"{scenario.protocol}{sets}{file})")


def scenario_html(scenario) -> str:
    d = _describe(scenario)
    rows = [("title", scenario.title), *_outline(d), ("file", scenario.file or "(text)"),
            ("digest", scenario.digest[:12])]
    return html_table(f"Scenario {scenario.name}", rows)


def _name(results) -> str:
    return results.record.get("scenario") or getattr(results.scenario, "name", "?")


def results_repr(results) -> str:
    """``Results('name': 200 worlds, seed 1; ZOPA 40.0%, talks 40.0%, deal 38.5%)``."""
    o = results.outcomes
    shares = ", ".join(f"{k} {100 * v:.1f}%" for k, v in _shares(o).items()) if len(o) else "no worlds"
    return f"Results({_name(results)!r}: {len(o)} worlds, seed {results.seed}; {shares})"


def _shares(o) -> dict[str, float]:
    return {"ZOPA": float(o["zopa_round"].notna().mean()), "talks": float(o["talks_round"].notna().mean()),
            "deal": float(o["agreed"].mean())}


def _share_cell(k: int, n: int, median=None) -> str:
    p, lo, hi = wilson(k, n)
    text = f"{100 * p:.1f}% (95% interval {100 * lo:.1f} to {100 * hi:.1f})"
    return text + (f", median {median}" if median else "")


def _shape(frame) -> str:
    return "not kept" if frame is None else f"{len(frame):,} rows x {frame.shape[1]} columns"


def results_html(results) -> str:
    from .results import summary
    o, n = results.outcomes, len(results.outcomes)
    rows: list[tuple[str, Any]] = [("worlds", f"{n:,}, seed {results.seed}")]
    if n:
        s = summary(results)
        rows += [("ZOPA opens", _share_cell(int(o["zopa_round"].notna().sum()), n, s["median_zopa_date"])),
                 ("talks open", _share_cell(int(o["talks_round"].notna().sum()), n)),
                 ("deal struck", _share_cell(int(o["agreed"].sum()), n, s["median_deal_date"]))]
        if s["terms"]:
            rows.append(("median terms", ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                                   for k, v in s["terms"].items())))
        if s["blocking"]:
            rows.append(("most frequent blocker", f"{s['blocking']} ({100 * s['blocking_share']:.0f}% of "
                                                  "worlds without a deal)"))
    if "actors" in results.record:
        rows += _outline(results.record)
    rows += [("outcomes", _shape(o)), ("history", _shape(results.history))]
    title = results.record.get("title") or getattr(results.scenario, "title", "")
    return html_table(f"Results of {_name(results)}" + (f": {title}" if title else ""), rows)


# ------------------------------------------------------------------------------------ progress

def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython is never imported just to ask)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _widgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


def show_progress(progress: bool | None) -> bool:
    """``progress`` if given; by default, on a terminal (stderr) or in a Jupyter kernel."""
    if progress is not None:
        return bool(progress)
    return in_notebook() or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


def progress_bar(total: int, *, progress: bool | None = None, initial: int = 0, unit: str = "it",
                 desc: str = "", delay: float = 0.0, leave: bool = True):
    """A tqdm bar on stderr: the notebook widget in a kernel that has ipywidgets, text otherwise.

    Disabled unless :func:`show_progress`; a bar shown by default (``progress=None``) appears only
    after ``delay`` seconds, so short calls print nothing.
    """
    if in_notebook() and _widgets():
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    tqdm.monitor_interval = 0   # no monitor thread: sweeps fork workers, and forking wants one thread
    shown = show_progress(progress)
    return tqdm(total=total, initial=initial, disable=not shown, unit=unit, desc=desc, file=sys.stderr,
                delay=delay if progress is None else 0.0, leave=leave)
