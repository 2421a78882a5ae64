"""``simulate``: a scenario in, tidy tables out."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from .model import NegotiationModel
from .display import progress_bar, show_progress
from .model.ledger import STATES, Ledger
from .record import actor_colors, build_record, spawn_key_text
from .results import Results
from .ripeness import Tracker
from .tables import ordered_level_codes, to_arrow
from .why import binding_hits
from .scenario.schema import Scenario

__all__ = ["simulate", "actor_colors"]


def _root(seed) -> tuple[np.random.SeedSequence, int]:
    """The root SeedSequence and the whole number recorded in every row's ``seed``."""
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
        if isinstance(entropy, bool) or not isinstance(entropy, (int, np.integer)) or not 0 <= entropy < 2**63:
            raise ValueError(f"seed: found a SeedSequence with entropy {entropy!r}, expected a whole number "
                             "from 0 to 2**63 - 1, so that rows can record it")
        return seed, int(entropy)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy) % 2**63
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: found {seed!r}, expected a whole number >= 0")
    return np.random.SeedSequence(int(seed)), int(seed)


def simulate(scenario: Scenario, *, runs: int = 1, seed=None, history: bool = True, history_path=None,
             progress=None) -> Results:
    """Simulate ``runs`` worlds of ``scenario`` round by round to its horizon.

    Parameters
    ----------
    scenario : Scenario
        From :func:`sim.load_scenario`.
    runs : int, keyword-only
        Number of worlds (Monte Carlo draws of every uncertain parameter).
    seed : int, SeedSequence or None, keyword-only
        The same scenario, seed and runs give identical tables. ``None`` draws a fresh seed, which is
        recorded in every row. A SeedSequence (entropy below 2**63) stands for a spawned stream: a
        sweep point's is ``sim.seed_sequence(row.seed, row.spawn_key)``; every row records its
        ``seed`` (the entropy) and ``spawn_key``.
    history : bool, keyword-only
        Also return one row per world and round, with the ripeness marks of :mod:`sim.ripeness`
        (per-round state is kept only then).
    history_path : str, Path or None, keyword-only
        Write the history to this Parquet file as rounds complete, in row groups of about
        ``HISTORY_ROWS`` rows, instead of keeping it in memory: ``results.history`` is then None and
        ``results.history_file`` the file (moved into place by :meth:`Results.save`). Its rows are
        those of the in-memory table in round order (:meth:`Results.load` puts them world by world).
    progress : bool, callable or None, keyword-only
        A progress bar of rounds: ``True`` always, ``False`` never; by default (``None``) on a
        terminal or in a Jupyter notebook once the run has taken a second, and gone when it ends.
        A callable is called after every round instead, as ``progress(round, horizon, live_worlds)``.
    """
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise ValueError(f"runs: found {runs!r}, expected a whole number >= 1")
    if history_path is not None and not history:
        raise ValueError("history_path: found a path with history=False, expected history=True or no path")
    root, seed_value = _root(seed)
    streamed = history_path is not None
    model = NegotiationModel(scenario, runs=int(runs), rng=root,
                             history="stream" if streamed else history)
    ripeness = Tracker(model) if history else None
    if ripeness is not None:
        model.observers.append(ripeness)
    writer = HistoryWriter(model, history_path, ripeness) if streamed else None
    try:
        if writer is not None:
            model.observers.append(writer)
        _run(model, scenario.horizon, progress)
    finally:
        if writer is not None:
            writer.close()
    key = spawn_key_text(root.spawn_key)
    hist = _with_ripeness(_history(model), ripeness.table()) if history and not streamed else None
    ended = Ended.of(model)
    _release(model)
    del model, ripeness, writer
    if runs >= FREE_WORLDS:      # the model (its agents refer back to it) holds most of a large run's memory:
        gc.collect()             # freed before the table is built (a collection costs 0.2 s in a large process)
    outcomes = _outcomes(ended, seed_value, key)
    record = build_record(scenario, seed=seed_value, spawn_key=key, runs=int(runs))
    record["calendar"]["end"] = outcomes.attrs["end_date"]
    return Results(outcomes, hist, scenario, seed_value, int(runs), record,
                   history_file=Path(history_path) if streamed else None)


def _release(model: NegotiationModel) -> None:
    """Let the model be freed once nothing of ours refers to it: Mesa's ``Agent`` keeps, as a class attribute,
    an id counter keyed by every model that has made agents, which would hold each model for good."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


FREE_WORLDS = 50_000         # runs of at least this many worlds free their model before building the table
HISTORY_ROWS = 1_000_000     # rows buffered per Parquet row group when the history is streamed
STREAM_ROWS = 2_000_000      # rows of history beyond which ``zopa run --out`` streams it (about 0.5 GB held)


class HistoryWriter:
    """Writes the history to a Parquet file round by round, holding at most about ``HISTORY_ROWS``
    rows: an observer of the model, after the ripeness :class:`Tracker`, whose marks it takes and drops."""

    def __init__(self, model: NegotiationModel, path, ripeness: Tracker):
        import pyarrow.parquet as pq

        self.path, self.ripeness = Path(path), ripeness
        self.parts: list[pd.DataFrame] = []
        self.rows = 0
        self.schema = None
        self._pq, self._writer = pq, None
        self.observe(model)                 # round 0, which the tracker has marked already

    def observe(self, model: NegotiationModel) -> None:
        """Add the rows of the round just evaluated, and write a row group once enough are held."""
        ripe = self.ripeness.parts.pop()
        rows = round_rows(model)
        if not np.array_equal(rows["world"].to_numpy(), ripe["world"]):
            raise RuntimeError("ripeness rows do not match the history rows")
        for col in ("mutually_hurting_stalemate", "way_out", "ripe"):
            rows[col] = ripe[col]
        self.parts.append(rows)
        self.rows += len(rows)
        if self.rows >= HISTORY_ROWS:
            self._flush()

    def _flush(self) -> None:
        parts = [p for p in self.parts if len(p)]
        self.parts, self.rows = [], 0
        if not parts:
            return
        table = to_arrow(pd.concat(parts, ignore_index=True))
        if self._writer is None:
            self.schema = table.schema
            self._writer = self._pq.ParquetWriter(str(self.path), self.schema)
        self._writer.write_table(table.cast(self.schema))

    def close(self) -> None:
        """Write what is held and close the file (a history of no rows is never asked for: round 0 has all)."""
        try:
            self._flush()
        finally:
            if self._writer is not None:
                self._writer.close()
                self._writer = None


def _run(model: NegotiationModel, horizon: int, progress) -> None:
    """Mesa's run loop, reporting each round to ``progress`` (see :func:`simulate`)."""
    if progress is False or (progress is None and not show_progress(None)):
        model.run_model()
        return
    report = progress if callable(progress) else None
    bar = None if report else progress_bar(horizon, progress=progress, unit="round", desc="simulate",
                                           delay=1.0, leave=False)
    try:
        while model.running:
            model.step()
            live = int(model.active.sum())
            if report:
                report(model.round, horizon, live)
            else:
                bar.set_postfix_str(f"{live:,} worlds negotiating", refresh=False)
                bar.update(model.round - bar.n)
    finally:
        if bar is not None:
            bar.close()


def _names(actors: list[str], masks: np.ndarray) -> np.ndarray:
    """Bit masks -> tuples of actor names (only the masks that occur: 2^n of them would not fit)."""
    uniq, inverse = np.unique(masks, return_inverse=True)
    names = np.empty(len(uniq) + 1, dtype=object)
    names[:-1] = [tuple(a for i, a in enumerate(actors) if int(m) >> i & 1) for m in uniq]
    return names[:-1][inverse.reshape(np.shape(masks))]


def _nullable(rounds: np.ndarray) -> pd.arrays.IntegerArray:
    """Rounds as nullable integers, <NA> where the event never happened (-1)."""
    return pd.arrays.IntegerArray(rounds.astype("int64"), rounds < 0)


# Date columns in milliseconds: any date from year 1 to 9999 (nanoseconds stop at 1677 and 2262), and
# Parquet stores milliseconds as they are, so a saved table reads back with the same type.
DATE_UNIT = "datetime64[ms]"


def _dates(run, rounds: np.ndarray) -> np.ndarray:
    """Calendar dates of ``rounds`` of a run (a model, or what :class:`Ended` keeps of it), NaT where -1."""
    d = run.dates[np.clip(rounds, 0, None)].astype(DATE_UNIT)
    return np.where(rounds >= 0, d, np.datetime64("NaT", "ms"))


@dataclass
class Ended:
    """What the outcome table reads of a model that has run: taken before the model is freed, so that its
    zones, agents and per-world parameters are not held while the table is built."""

    runs: int
    actors: list
    range_issues: list
    level_issues: list
    levels: list
    partial: list
    sampled: Mapping
    dates: np.ndarray
    deal: Ledger
    state: np.ndarray
    reservation: np.ndarray
    blocking: np.ndarray
    binding: tuple[np.ndarray, np.ndarray]      # the closed worlds and the issues that bind each

    @classmethod
    def of(cls, model: NegotiationModel) -> "Ended":
        wd, last = model.worlds, model.last
        return cls(model.runs, list(wd.actors), list(wd.range_issues), list(wd.level_issues), list(wd.levels),
                   list(wd.partial), wd.sampled.held(), model.dates, model.deal, last["state"],
                   last["reservation"], last["blocking"], binding_hits(model))


def _issue_names(ended: Ended) -> np.ndarray:
    """Per world, the names of the issues whose red lines bind its closed zone, as tuples (``()`` if none)."""
    idx, hit = ended.binding
    uniq, inverse = np.unique(hit, axis=0, return_inverse=True)
    names = ended.range_issues + ended.level_issues
    lists = np.empty(len(uniq) + 2, dtype=object)
    lists[:-2] = [tuple(k for k, on in zip(names, row) if on) for row in uniq]
    lists[-2] = ()
    code = np.full(ended.runs, len(uniq))
    code[idx] = inverse.reshape(-1)
    return lists[:-1][code]


def _strings(values: np.ndarray):
    """Text values (None where missing) as pandas gives a column of them (``str`` from pandas 3 on), without
    a fixed-width copy."""
    return pd.Series(values, dtype=str)


def _outcomes(ended: Ended, seed: int, spawn_key: str) -> pd.DataFrame:
    deal, W = ended.deal, ended.runs
    cols: dict = {"world": np.arange(W), "seed": np.full(W, seed, dtype=np.int64),
                  "spawn_key": np.array([spawn_key], dtype=object).repeat(W)}
    cols.update({k: v for k, v in sorted(ended.sampled.items())})
    for name, rounds in (("zopa", deal.zopa_round), ("talks", deal.talks_round), ("partial", deal.partial_round),
                         ("agreement", deal.round), ("relapse", deal.relapse_round)):
        cols[f"{name}_round"] = _nullable(rounds)
        cols[f"{name}_date"] = _dates(ended, rounds)
    cols["agreed"] = deal.agreed
    cols["talks_held"] = deal.talks_held.astype(np.int64)
    cols["failed_talks"] = deal.failed_talks.astype(np.int64)
    cols["relapses"] = deal.relapses.astype(np.int64)
    names = np.array(ended.partial + [None], dtype=object)
    cols["partial_deal"] = names[deal.partial_kind]
    cols["state"] = pd.Categorical.from_codes(ended.state, categories=list(STATES))
    for k, issue in enumerate(ended.range_issues):
        cols[f"terms.{issue}"] = deal.x[:, k].copy()
    for k, issue in enumerate(ended.level_issues):
        cols[f"terms.{issue}"] = ordered_level_codes(deal.levels[:, k], ended.levels[k])
    if ended.partial:
        for k, issue in enumerate(ended.range_issues):
            cols[f"partial_terms.{issue}"] = deal.partial_x[:, k].copy()
        for k, issue in enumerate(ended.level_issues):
            cols[f"partial_terms.{issue}"] = ordered_level_codes(deal.partial_levels[:, k], ended.levels[k])
    for i, a in enumerate(ended.actors):
        cols[f"utility.{a}"] = deal.utility[:, i].copy()
    for i, a in enumerate(ended.actors):
        cols[f"reservation.{a}"] = np.where(deal.agreed, deal.reservation[:, i], ended.reservation[:, i])
    cols["blocking"] = _names(ended.actors, ended.blocking)
    cols["binding_issues"] = _issue_names(ended)
    cols["status"] = _strings(deal.status)
    failed = int((deal.status != "ok").sum())
    if failed:
        warnings.warn(f"{failed} of {W} worlds could not be settled (see the outcome table's status column)",
                      RuntimeWarning, stacklevel=3)
    df = pd.DataFrame(cols, copy=False)       # every column is an array of its own already: none is copied
    df.attrs["end_date"] = str(ended.dates[-1])
    df.attrs["start_date"] = str(ended.dates[0])
    return df


def _with_ripeness(hist: pd.DataFrame, ripe: pd.DataFrame) -> pd.DataFrame:
    """The history with whether each world was in a mutually hurting stalemate, had a way out, was ripe."""
    same = len(hist) == len(ripe) and (hist["world"].to_numpy() == ripe["world"].to_numpy()).all() \
        and (hist["round"].to_numpy() == ripe["round"].to_numpy()).all()
    if not same:
        raise RuntimeError("ripeness rows do not match the history rows")
    for col in ("mutually_hurting_stalemate", "way_out", "ripe"):
        hist[col] = ripe[col].to_numpy()
    return hist


def _history(model: NegotiationModel) -> pd.DataFrame:
    """The history kept in memory: every round's rows (see :func:`round_rows`), world by world."""
    h, wd = model.history, model.worlds
    R, W = len(h), model.runs
    # a world's rows end with its settlement, unless settlements can relapse: then every round is kept
    end = np.where((model.deal.round < 0) | (wd.relapse is not None), R, model.deal.round)
    keep = np.arange(R)[:, None] <= end[None, :]                                                  # (R, W)
    stack = {k: np.stack([row[k] for row in h])
             for k in ("zopa_open", "zopa_width", "talks", "agreed", "blocking", "state")}
    res = np.stack([row["reservation"] for row in h])                                              # (R, W, n)
    order = lambda a: np.swapaxes(a, 0, 1)[keep.T]                                                 # world-major
    cols = {
        "world": order(np.broadcast_to(np.arange(W), (R, W))),
        "round": order(np.broadcast_to(np.arange(R)[:, None], (R, W))),
    }
    front = np.stack(model.front_history[:R]) if model.front_history else None
    positions = model.positions.columns(order, R) if model.positions is not None else {}
    return _table(model, cols, {k: order(v) for k, v in stack.items()}, [order(res[:, :, i]) for i in range(res.shape[2])],
                  None if front is None else order(front), positions)


def _table(model, cols: dict, snap: dict, res: list, front, positions: dict) -> pd.DataFrame:
    """History rows from per-row arrays: ``cols`` holds world and round; ``snap`` the round's state;
    ``positions`` the red lines and triggers in force (:class:`sim.model.ledger.PositionLog`)."""
    wd = model.worlds
    cols["date"] = model.dates.astype(DATE_UNIT)[cols["round"]]
    cols["zopa_open"] = snap["zopa_open"]
    cols["zopa_width"] = snap["zopa_width"]
    for i, a in enumerate(wd.actors):
        cols[f"reservation.{a}"] = res[i]
    if front is not None:     # territory held: the front line at every round
        cols[f"front.{wd.range_issues[wd.dyn.front]}"] = front
    cols["talks"] = snap["talks"]
    cols["agreed"] = snap["agreed"]
    cols["state"] = pd.Categorical.from_codes(snap["state"], categories=list(STATES))
    cols["blocking"] = _names(wd.actors, snap["blocking"])
    cols |= positions
    return pd.DataFrame(cols)


def round_rows(model: NegotiationModel) -> pd.DataFrame:
    """The history rows of the round the model has just evaluated: every world without a deal in an
    earlier round (every world where settlements can relapse), as :func:`_history` keeps them."""
    wd, deal, last = model.worlds, model.deal, model.last
    keep = (deal.round < 0) | (deal.round >= model.round) | (wd.relapse is not None)
    w = np.flatnonzero(keep)
    cols = {"world": w, "round": np.full(len(w), model.round)}
    snap = {k: np.asarray(last[k])[w] for k in ("zopa_open", "zopa_width", "talks", "agreed", "blocking", "state")}
    front = None if wd.line is None else wd.line[w]
    positions = model.positions.columns(lambda a: a[-1][w], 1, last=True) if model.positions is not None else {}
    return _table(model, cols, snap, [last["reservation"][w, i] for i in range(len(wd.actors))], front, positions)
