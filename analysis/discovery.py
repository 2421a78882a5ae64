"""Scenario discovery: which region of the parameters leads to an outcome (a deal by a date, say)?

PRIM, the patient rule induction method (Friedman and Fisher 1999), as used for scenario discovery by
Bryant and Lempert (2010), through the EMA Workbench's implementation (Kwakkel 2017); and a CART tree
(Breiman et al. 1984) through scikit-learn, whose leaves are boxes too. Both read one row per world
(``Results.outcomes``, ``Sweep.runs``) or per sweep point (``Sweep.points``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .outcomes import Outcome, input_columns, parse_outcome

__all__ = ["discover", "Discovery"]

_STATS = ["coverage", "density", "mass", "res_dim", "n", "k"]
_NEEDS = "scenario discovery needs the 'discover' extra: pip install 'zopa[discover]'"


@dataclass
class Discovery:
    """What :func:`discover` found.

    Attributes
    ----------
    outcome : str
        The outcome, as written.
    x : DataFrame
        The inputs PRIM and CART read, one row per world (or sweep point).
    y : ndarray of bool
        Whether the outcome holds in each row.
    boxes : DataFrame
        One row per PRIM box: ``box`` (from 1), ``coverage``, ``density``, ``mass``, ``n`` (rows in the
        box), ``k`` (rows of interest in it), ``res_dim``, ``restricted`` (the parameters it limits) and
        ``dropped`` (those ``prune`` freed).
    limits : DataFrame
        One row per box and restricted parameter: ``lower``, ``upper`` (or ``levels``), the parameter's
        ``minimum`` and ``maximum`` over all rows, and the quasi-p value of each limit (Bryant and
        Lempert 2010).
    trajectories : list of DataFrame
        Each box's peeling and pasting trajectory (``coverage``, ``density``, ``mass``, ``res_dim``),
        with the ``selected`` step marked.
    tree_boxes : DataFrame
        The CART tree's leaves, densest first: ``coverage``, ``density``, ``mass``, ``n``, ``k``, ``rule``.
    threshold : float
        The density a PRIM box had to reach.
    """

    outcome: str
    x: pd.DataFrame
    y: np.ndarray
    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectories: list
    tree_boxes: pd.DataFrame
    threshold: float
    tree: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (f"Discovery({self.outcome!r}: {int(self.y.sum())} of {len(self.y)} rows of interest, "
                f"{len(self.boxes)} PRIM boxes, {len(self.tree_boxes)} tree leaves)")

    def text(self, *, leaves: int = 3) -> str:
        """The boxes and the best tree leaves, as ``zopa discover`` prints them."""
        from .discovery_text import discovery_text
        return discovery_text(self, leaves=leaves)

    def tradeoff(self, box: int = 1, *, ax=None):
        """Coverage against density along box ``box``'s peeling trajectory; see :mod:`.discovery_plots`."""
        from .discovery_plots import tradeoff
        return tradeoff(self, box, ax=ax)

    def plot_box(self, box: int = 1, *, ax=None):
        """The limits of box ``box`` on each restricted parameter, against its full range."""
        from .discovery_plots import box_limits
        return box_limits(self, box, ax=ax)

    def scatter(self, box: int = 1, *, ax=None):
        """The rows on box ``box``'s two most restricted parameters, with the box drawn over them."""
        from .discovery_plots import box_scatter
        return box_scatter(self, box, ax=ax)


# ------------------------------------------------------------------------------------------ the table
def _table(data, outcome: Outcome) -> tuple[pd.DataFrame, list[str]]:
    """The table to read and its input columns, from Results, a Sweep or a DataFrame."""
    if isinstance(data, pd.DataFrame):
        return data, input_columns(data)
    if hasattr(data, "points") and hasattr(data, "vary"):
        varied = list(data.vary)
        if all(c in data.points.columns for c in outcome.columns):
            return data.points, varied
        runs = data.runs
        return runs, list(dict.fromkeys(varied + input_columns(runs)))
    if hasattr(data, "outcomes"):
        return data.outcomes, input_columns(data.outcomes)
    raise TypeError(f"found {type(data).__name__}, expected Results, Sweep or a DataFrame")


def _inputs(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Numeric inputs as float64, others as categories; constant columns dropped (nothing to restrict)."""
    out = {}
    for name in names:
        col = table[name]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            col = col.astype(str).astype("category")
        else:
            col = col.astype("float64")
            if col.isna().any():
                raise ValueError(f"input {name}: found missing values, expected a value in every row")
        if col.nunique() > 1:
            out[name] = col.reset_index(drop=True)
    if not out:
        raise ValueError(f"found no input that varies among {len(table)} rows, expected sampled or varied "
                         "parameters (uncertain values in the scenario, or a sweep)")
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------------------ PRIM
def _ema_prim():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")         # optional parallel back-ends it does not find
            from ema_workbench.analysis import prim
    except ImportError as exc:
        raise ImportError(f"{_NEEDS} ({exc})") from None
    return prim


def _select(trajectory: pd.DataFrame, threshold: float) -> int:
    """The step kept: the widest coverage at the threshold density (Bryant and Lempert 2010), else the
    densest step."""
    dense = trajectory.index[trajectory["density"] >= threshold]
    if len(dense):
        return int(trajectory.loc[dense, "coverage"].idxmax())
    return int(trajectory["density"].idxmax())


def _restricted(lim: pd.DataFrame, init: pd.DataFrame) -> list[str]:
    def differs(c):
        a, b = lim[c], init[c]
        if isinstance(a.iloc[0], set):
            return a.iloc[0] != b.iloc[0]
        return bool(a.iloc[0] > b.iloc[0] or a.iloc[1] < b.iloc[1])
    return [c for c in lim.columns if differs(c)]


def _limit_rows(k: int, box, step: int, x: pd.DataFrame, init: pd.DataFrame) -> list[dict]:
    lim, qp = box.box_lims[step], box.qp[step]
    rows = []
    for name in _restricted(lim, init):
        q = qp.get(name, [np.nan, np.nan])
        row = {"box": k, "parameter": name, "qp_lower": q[0], "qp_upper": q[1]}
        if isinstance(lim[name].iloc[0], set):
            row.update(levels=sorted(lim[name].iloc[0]), lower=np.nan, upper=np.nan, minimum=np.nan,
                       maximum=np.nan)
        else:
            row.update(levels=None, lower=float(lim[name].iloc[0]), upper=float(lim[name].iloc[1]),
                       minimum=float(x[name].min()), maximum=float(x[name].max()))
        rows.append(row)
    return rows


def _prim(x: pd.DataFrame, y: np.ndarray, **options):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="ema_workbench")      # its pandas deprecations, not ours
        return _peel_boxes(_ema_prim(), x, y, **options)


def _weak(qp: dict, names: list[str], prune: float) -> list[str]:
    """The restrictions whose every quasi-p value (-1: an end left open) exceeds ``prune``, weakest first,
    leaving at least the strongest restriction."""
    weakest = {n: min(q for q in qp[n] if q >= 0) for n in names if any(q >= 0 for q in qp.get(n, []))}
    order = sorted(weakest, key=weakest.get, reverse=True)
    weak = [n for n in order if weakest[n] > prune]
    return weak[:-1] if len(weak) == len(names) else weak


def _prune(box, step: int, init: pd.DataFrame, prune: float) -> tuple[int, list[str]]:
    """Drop the box's restrictions that may be chance (quasi-p above ``prune``; Bryant and Lempert 2010)
    with the Workbench's ``drop_restriction``; the index of the box kept, and the names dropped."""
    dropped = _weak(box.qp[step], _restricted(box.box_lims[step], init), prune)
    for name in dropped:
        box.drop_restriction(name)                  # each adds the wider box to the trajectory
    return len(box.peeling_trajectory) - 1 if dropped else step, dropped


def _peel_boxes(prim, x: pd.DataFrame, y: np.ndarray, *, threshold: float, boxes: int, peel_alpha: float,
                paste_alpha: float, mass_min: float, prune: float | None):
    # The Workbench counts rows with y >= threshold as of interest and drops a box whose density is
    # below it; with a tiny threshold the rows of interest are still the ones, every peeled box is kept,
    # and ``_select`` compares the steps with the user's threshold, so a box short of it is shown, flagged.
    finder = prim.Prim(x, y.astype(int), threshold=1e-9, peel_alpha=peel_alpha, paste_alpha=paste_alpha,
                       mass_min=mass_min)
    found, limits, trajectories = [], [], []
    for k in range(1, boxes + 1):
        box = finder.find_box()
        if box is None or len(box.peeling_trajectory) < 2:
            break                                   # nothing left, or a box that restricts nothing
        traj = box.peeling_trajectory[_STATS].copy()
        step = _select(traj, threshold)
        box.select(step)
        traj["selected"] = traj.index == step
        kept, dropped = _prune(box, step, finder.box_init, prune) if prune is not None else (step, [])
        names = _restricted(box.box_lims[kept], finder.box_init)
        found.append({**box.peeling_trajectory.loc[kept, _STATS].to_dict(), "box": k,
                      "restricted": ", ".join(names), "dropped": ", ".join(dropped)})
        limits += _limit_rows(k, box, kept, x, finder.box_init)
        trajectories.append(traj)
        if found[-1]["density"] < threshold:
            break                                   # later boxes would be weaker still
    return _boxes_frame(found), _limits_frame(limits), trajectories


def _boxes_frame(rows: list[dict]) -> pd.DataFrame:
    cols = ["box", "coverage", "density", "mass", "n", "k", "res_dim", "restricted", "dropped"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.astype({"box": int, "n": int, "k": int, "res_dim": int}) if len(frame) else frame


def _limits_frame(rows: list[dict]) -> pd.DataFrame:
    cols = ["box", "parameter", "lower", "upper", "levels", "minimum", "maximum", "qp_lower", "qp_upper"]
    return pd.DataFrame(rows, columns=cols)


# ------------------------------------------------------------------------------------------ entry point
def discover(data, outcome: str, *, inputs: list[str] | None = None, threshold: float = 0.8,
             boxes: int = 3, peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = 0.05,
             prune: float | None = None, tree_depth: int = 3) -> Discovery:
    """Find the regions of the inputs where ``outcome`` holds: PRIM boxes and CART leaves.

    Parameters
    ----------
    data : Results, Sweep or DataFrame
        Per-world outcomes (``Results``; a ``Sweep``'s ``runs``) or a sweep's points: with a ``Sweep``,
        an outcome on a column of ``points`` (``"p_deal >= 0.5"``) reads the points and the varied
        parameters, any other reads every world of every point.
    outcome : str
        ``"deal by 2026-03-05"``, ``"no zopa by DATE"``, ``"talks by DATE"``, a boolean column
        (``"agreed"``) or ``"COLUMN >= NUMBER"``; see :func:`analysis.outcomes.parse_outcome`.
    inputs : list of str, keyword-only
        The columns to restrict (default: every sampled or varied parameter).
    threshold : float, keyword-only
        The density a box must reach (share of its rows where the outcome holds).
    boxes : int, keyword-only
        At most this many PRIM boxes, each found among the rows outside the earlier ones.
    peel_alpha, paste_alpha, mass_min : float, keyword-only
        PRIM's share peeled or pasted per step and the smallest share of rows a box may hold
        (Friedman and Fisher 1999); ``mass_min`` is also the CART leaves' smallest share.
    prune : float or None, keyword-only
        If given, drop from each box the restrictions whose quasi-p values all exceed it (0.05, say), as
        Bryant and Lempert (2010) advise: a smaller, more readable box, usually a little less dense.
    tree_depth : int, keyword-only
        The CART tree's depth.
    """
    rule = parse_outcome(outcome)
    table, names = _table(data, rule)
    y = rule(table)
    n_in = int(y.sum())
    if n_in in (0, len(y)):
        raise ValueError(f"outcome {rule.text!r}: found it in {n_in} of {len(y)} rows, expected it in some "
                         "rows and not in others")
    x = _inputs(table, list(inputs) if inputs is not None else names)
    found, limits, trajectories = _prim(x, y, threshold=threshold, boxes=boxes, peel_alpha=peel_alpha,
                                        paste_alpha=paste_alpha, mass_min=mass_min, prune=prune)
    from .discovery_tree import tree_boxes
    tree, leaves = tree_boxes(x, y, depth=tree_depth, min_share=mass_min)
    return Discovery(rule.text, x, y, found, limits, trajectories, leaves, threshold, tree)
