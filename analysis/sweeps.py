"""Parameter sweeps: one ensemble of worlds per point of a design, run anywhere, resumable.

The parent spawns one :class:`numpy.random.SeedSequence` per point from ``SeedSequence(seed)``
before any work leaves it (as Axelrod and NetworkX do), so a sweep's tables are the same whatever
the executor, the number of workers or the chunking, and whether or not it was interrupted.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from .. import sim
from ..sim.display import html_table, progress_bar
from ..sim.record import describe, provenance, saved_scenario, scenario_from_record
from ..sim.scenario import load_scenario_text, scenario_text

from .design import design_points, normalise_vary
from .executors import dispatch, forkable
from .stats import join_points, points_table
from .store import SweepStore, from_parquet_bytes, runs_table, to_parquet_bytes

__all__ = ["Sweep", "sweep", "point_seed"]


class Sweep:
    """A finished sweep.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per world: ``point``, the varied values, then every column of ``Results.outcomes``.
    points : pandas.DataFrame
        One row per point: the varied values, ``p_zopa``/``p_talks``/``p_deal`` with 95% Wilson
        intervals (``_lo``, ``_hi``), median rounds and dates, ``rounds_to_zopa``, central terms.
    config : dict
        The sweep's arguments, the base scenario's digest, and ``base``: the scenario as a run's
        record describes it, with the copy :meth:`load` rebuilds it from; versions, platform and
        time (``sweep.json``).
    scenario : Scenario or None
        The base scenario, if its file could be read.
    """

    def __init__(self, runs: pd.DataFrame | Callable[[], pd.DataFrame], points: pd.DataFrame, config: dict,
                 scenario: Any = None):
        self._runs, self.points, self.config, self.scenario = runs, points, config, scenario

    @property
    def runs(self) -> pd.DataFrame:
        """One row per world; assembled from the chunks the first time it is asked for."""
        if callable(self._runs):
            self._runs = self._runs()
        return self._runs

    def _name(self) -> str:
        return self.config.get("scenario_name") or getattr(self.scenario, "name", "?")

    def __repr__(self) -> str:
        return (f"Sweep({self._name()!r}: {len(self.points)} points x {self.config.get('runs')} worlds, "
                f"{self.design} over {', '.join(self.vary)})")

    def _repr_html_(self) -> str:
        """Jupyter's view: the design and the range of each share over the points, not the tables."""
        c, p = self.config, self.points
        rows = [("points", f"{len(p)} ({self.design}), {c.get('runs')} worlds each, seed {c.get('seed')}")]
        rows += [(path, _span(p[path])) for path in self.vary if path in p]
        rows += [(f"{col} over the points", _span(p[col], percent=True)) for col in ("p_zopa", "p_talks", "p_deal")
                 if col in p]
        rows.append(("tables", f"points: {p.shape[0]} rows x {p.shape[1]} columns; runs: one row per world"))
        return html_table(f"Sweep of {self._name()}", rows)

    @property
    def vary(self) -> dict[str, list]:
        return self.config["vary"]

    @property
    def design(self) -> str:
        return self.config["design"]

    def sensitivity(self, outcome: str = "p_deal", **kwargs) -> pd.DataFrame:
        """Sobol' indices of ``outcome`` (a column of :attr:`points`); see :func:`analysis.sobol_indices`."""
        from .sensitivity import sobol_indices
        return sobol_indices(self, outcome, **kwargs)

    def overrides(self, point: int) -> dict[str, Any]:
        """The ``--set`` overrides of one point: varied path -> value."""
        row = self.points.index[self.points["point"] == point]
        if len(row) != 1:
            raise ValueError(f"found point={point!r}, expected one of 0..{len(self.points) - 1}")
        return dict(zip(self.vary, _values(self.points[list(self.vary)], int(row[0]))))

    def reproduce(self, point: int, *, history: bool = True) -> sim.Results:
        """The worlds of one point again, through :func:`sim.simulate`.

        The base scenario (the copy saved with the sweep) with the point's :meth:`overrides`, the
        sweep's ``runs`` and the point's seed, :func:`point_seed`, which is also
        ``sim.seed_sequence(row.seed, row.spawn_key)`` for any of its rows. ``outcomes`` equals the
        point's rows of :attr:`runs` (less ``point`` and the varied columns).
        """
        if self.scenario is None:
            raise ValueError("found a sweep without its scenario, expected one saved by this version of zopa")
        overrides = self.overrides(point)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sim.ScenarioWarning)
            scenario = load_scenario_text(scenario_text(self.scenario), overrides, file=self.scenario.file)
        return sim.simulate(scenario, runs=self.config["runs"], seed=point_seed(self.config["seed"], point),
                            history=history)

    @classmethod
    def load(cls, directory: str | Path) -> "Sweep":
        """Read a finished sweep written with ``sweep(..., out=directory)``, from any working directory.

        The base scenario is rebuilt from the copy in sweep.json (a warning says so if its file has
        changed since).
        """
        store = SweepStore(directory)
        config = store.read_config()
        if config is None:
            raise ValueError(f"{directory}: found no sweep.json, expected a sweep directory")
        points = store.read_points()
        return cls(store.read_runs, points, config, _saved_scenario(config, str(store.config_path)))


def _span(values: pd.Series, *, percent: bool = False) -> str:
    """``lo to hi`` of a numeric column (median too for shares), or its distinct values."""
    if not pd.api.types.is_numeric_dtype(values):
        return ", ".join(map(str, pd.unique(values)))
    f = (lambda v: f"{100 * v:.1f}%") if percent else (lambda v: f"{v:.4g}")
    middle = f", median {f(values.median())}" if percent else ""
    return f"{f(values.min())} to {f(values.max())}{middle}"


def point_seed(seed: int, point: int) -> np.random.SeedSequence:
    """The SeedSequence of a sweep point's worlds: ``SeedSequence(seed).spawn(2)[1].spawn(n)[point]``."""
    return np.random.SeedSequence(seed, spawn_key=(1, point))


def _saved_scenario(config: dict, where: str):
    if "base" in config:
        return scenario_from_record(config["base"], where)
    path = config.get("scenario")
    if path is None or not Path(path).exists():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sim.load_scenario(path)


def _as_scenario(scenario: Any):
    if isinstance(scenario, (str, Path)):
        return sim.load_scenario(scenario)
    if not getattr(scenario, "file", ""):
        raise ValueError("found a scenario without a file, expected one read by sim.load_scenario")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = sim.load_scenario(scenario.file)
    if fresh.digest != scenario.digest:
        raise ValueError(f"found a scenario that differs from its file {scenario.file} (loaded with "
                         "overrides, or the file changed since); pass the path and put fixed "
                         "overrides in vary as one-value lists")
    return scenario


def _tagged(frames: list[pd.DataFrame], items: list[tuple], paths: list[str]) -> pd.DataFrame:
    """One chunk's rows: the point and its varied values first, then the outcome columns (less any
    varied ones, which the overrides fix)."""
    rows = pd.concat(frames, ignore_index=True).drop(columns=[c for c in paths if c in frames[0].columns])
    sizes = [len(f) for f in frames]
    head = {"point": [item[0] for item in items], **{p: [item[1][j] for item in items] for j, p in enumerate(paths)}}
    for i, (name, values) in enumerate(head.items()):
        rows.insert(i, name, np.repeat(np.array(values, dtype=object if any(isinstance(v, str) for v in values)
                                                else None), sizes))
    return rows


def file_digest(file: str | Path) -> str:
    """SHA-256 of a scenario file's bytes: any edit, even of a comment, changes it."""
    return hashlib.sha256(Path(file).read_bytes()).hexdigest()


def _unchanged(file: str, digest: str | None) -> None:
    if digest is not None and file_digest(file) != digest:
        raise ValueError(f"{file}: found the scenario file changed during the sweep, expected it unchanged "
                         "until the sweep ends (finished chunks are kept; run the sweep again to continue "
                         "with the file as it is now, in a new directory if its content changed)")


def _run_chunk(file: str, paths: list[str], items: list[tuple], runs: int,
               digest: str | None = None) -> tuple[bytes, pd.DataFrame]:
    """Simulate the points of one chunk; runs in a worker. Returns its rows as Parquet bytes and its
    points' summaries (computed here, in parallel, rather than in the parent). ``digest``, the file's
    :func:`file_digest` when the sweep started, is checked before and after: a chunk computed from an
    edited file is never returned."""
    _unchanged(file, digest)
    frames = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sim.ScenarioWarning)  # shown once, in the parent
        for point, values, seed in items:
            scenario = sim.load_scenario(file, overrides=dict(zip(paths, values)))
            frames.append(sim.simulate(scenario, runs=runs, seed=seed, history=False, progress=False).outcomes)
    rows = _tagged(frames, items, paths)
    _unchanged(file, digest)
    return to_parquet_bytes(rows), points_table(rows, paths, scenario.horizon)


def _check_points(file: str, points: pd.DataFrame) -> None:
    """Load the first point and each path's extremes here, so bad paths fail before dispatch."""
    rows = {0}
    for col in points.columns:
        if pd.api.types.is_numeric_dtype(points[col]):
            rows |= {int(points[col].argmin()), int(points[col].argmax())}
    for i in sorted(rows):
        sim.load_scenario(file, overrides=dict(zip(points.columns, _values(points, i))))


def _values(points: pd.DataFrame, i: int) -> list:
    return [points[c].iloc[i].item() if hasattr(points[c].iloc[i], "item") else points[c].iloc[i]
            for c in points.columns]


def _default_chunk_size(n_points: int, workers: int | None) -> int:
    # about 32 chunks a worker: small enough that the last ones finish together, large enough to amortise
    return max(1, math.ceil(n_points / (32 * (workers or os.cpu_count() or 1))))


def _progress_bar(progress: bool | None, total: int, initial: int):
    return progress_bar(total, progress=progress, initial=initial, unit="point", desc="sweep")


def _config(scenario, vary: dict, design: str, samples, runs: int, seed: int, chunk_size: int,
            n_points: int) -> dict:
    return {"scenario": str(Path(scenario.file).resolve()), "scenario_name": scenario.name,
            "scenario_digest": scenario.digest, "version": sim.__version__, "vary": vary,
            "design": design, "samples": samples if design != "grid" else None, "runs": runs,
            "seed": seed, "chunk_size": chunk_size, "points": n_points,
            "base": {**describe(scenario), **saved_scenario(scenario)}, **provenance()}


def _check_ints(runs: Any, seed: Any) -> None:
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise ValueError(f"found runs={runs!r}, expected a positive integer")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"found seed={seed!r}, expected a non-negative integer or None")


def _default_executor(points: int, workers: int | None) -> str:
    """Worker processes where they can be forked; in a Jupyter kernel (or any process running threads)
    the points run one after another in this process, and a one-line note says so: starting workers
    from a fork server there measured slower than serial on a small, busy machine, so the default
    never is. ``executor="processes"`` asks for the fork server all the same."""
    if forkable() or points < 2 or workers == 1:
        return "processes"
    print("zopa: this sweep runs its points one after another in this process (a kernel's threads rule "
          "out forking workers); pass executor='processes' or 'dask' to use worker processes",
          file=sys.stderr)
    return "serial"


def sweep(scenario: Any, vary: Mapping[str, Any], *, runs: int = 1000, seed: int | None = 0,
          design: str = "grid", samples: int | None = None, executor: Any = None,
          workers: int | None = None, scheduler: str | None = None, chunk_size: int | None = None,
          out: str | Path | None = None, progress: bool | None = None) -> Sweep:
    """Simulate ``runs`` worlds at every point of a design over scenario parameters.

    Parameters
    ----------
    scenario : Scenario or path
        The base scenario; each point is ``sim.load_scenario(scenario.file, overrides=point)``.
    vary : mapping
        Dotted path -> list of values (``design="grid"``, the Cartesian product) or ``(lo, hi)``
        (``"lhs"``, ``"sobol"``, ``"random"``, ``"saltelli"``; see :func:`analysis.design_points`).
    runs : int
        Worlds per point.
    seed : int or None
        Root of every random stream; ``None`` draws fresh entropy and records it in ``config``.
    design, samples
        The design and, except for grids, its number of points (base samples for ``saltelli``).
    executor : {"processes", "serial", "dask"}, dask.distributed.Client or Executor, optional
        Default: ``"processes"``, a process pool of ``workers`` (default: all cores), where workers can be
        forked; in a Jupyter kernel ``"serial"``, with a one-line note (ask for ``"processes"`` to get
        workers from a fork server there). ``"dask"`` connects to ``scheduler`` (``"tcp://host:8786"``)
        or starts a local cluster.
    chunk_size : int, optional
        Points per task (and per file in ``out``); by default about 32 tasks per worker.
    out : path, optional
        Write ``sweep.json``, one ``chunk-NNNNN.parquet`` per finished chunk (together, the rows
        of ``runs``), then ``points.parquet``. Calling again with the same arguments resumes; with other
        arguments raises ``ValueError``.
    progress : bool, optional
        A progress bar of points; by default when stderr is a terminal or in a Jupyter notebook.

    Returns
    -------
    Sweep
    """
    scenario = _as_scenario(scenario)
    vary = normalise_vary(vary, design)
    seed = int(np.random.SeedSequence().entropy) % 2**63 if seed is None else seed   # fits every row's seed
    _check_ints(runs, seed)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"found workers={workers!r}, expected a positive integer (or None for all cores)")
    design_seed, worlds_seed = np.random.SeedSequence(seed).spawn(2)
    check_size(vary, design, samples)
    points = design_points(vary, design=design, samples=samples, seed=design_seed)
    seeds = worlds_seed.spawn(len(points))   # point i's is point_seed(seed, i)
    _check_points(scenario.file, points)
    store = SweepStore(out) if out is not None else None
    if chunk_size is None:
        old = store.read_config() if store is not None else None
        chunk_size = old["chunk_size"] if old else _default_chunk_size(len(points), workers)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"found chunk_size={chunk_size!r}, expected a positive integer")
    config = _config(scenario, vary, design, samples, int(runs), int(seed), chunk_size, len(points))
    try:
        if store is not None:
            store.open(config)   # one sweep at a time: refused here if another one owns the directory
        chunks = _run_all(scenario.file, points, seeds, int(runs), chunk_size, store,
                          dict(executor=executor or _default_executor(len(points), workers), workers=workers,
                               scheduler=scheduler), progress,
                          scenario.horizon, config)
        data = [chunks[i][0] for i in sorted(chunks)]
        # through Parquet, so the tables returned equal those Sweep.load reads back, dtypes included
        summary = from_parquet_bytes(to_parquet_bytes(join_points([chunks[i][1] for i in sorted(chunks)])))
        if store is not None:
            store.write_points(summary)
    finally:
        if store is not None:
            store.unlock()
    return Sweep(lambda: runs_table(data), summary, config, scenario)


# A grid is built in memory before any world is simulated; a million points at 1000 worlds is
# already a billion worlds.
MAX_POINTS = 1_000_000


def check_size(vary: dict, design: str, samples: int | None) -> int:
    """The number of points of a design, refused above ``MAX_POINTS`` before any is built."""
    if design == "grid":
        n = math.prod(len(v) for v in vary.values())
        shape = " x ".join(str(len(v)) for v in vary.values())
        change = "fewer values per path, or a sampled design (design='lhs' with samples=N)"
    else:
        n = (samples or 0) * (len(vary) + 2 if design == "saltelli" else 1)
        shape = f"samples={samples}" + (f" x ({len(vary)} paths + 2)" if design == "saltelli" else "")
        change = "fewer samples"
    if n > MAX_POINTS:
        raise ValueError(f"found a {design} design of {n:,} points ({shape}), expected at most {MAX_POINTS:,}: "
                         f"use {change}")
    return n


def _run_all(file: str, points: pd.DataFrame, seeds: list, runs: int, chunk_size: int,
             store: SweepStore | None, how: dict, progress: bool | None,
             horizon: int, config: dict) -> dict[int, tuple[bytes, pd.DataFrame]]:
    paths = list(points.columns)
    items = [(i, _values(points, i), seeds[i]) for i in range(len(points))]
    chunked = {c: items[s:s + chunk_size] for c, s in enumerate(range(0, len(items), chunk_size))}
    span = {c: (chunk[0][0], chunk[-1][0] + 1) for c, chunk in chunked.items()}
    found = store.verified_chunks(config, span) if store is not None else {}
    digest = file_digest(file)
    results = {c: (data, points_table(from_parquet_bytes(data), paths, horizon)) for c, data in found.items()}
    done = set(results)
    todo = {c: (file, paths, chunk, runs, digest) for c, chunk in chunked.items() if c not in done}
    with _progress_bar(progress, len(items), sum(len(chunked[c]) for c in done)) as bar:
        def on_done(c: int, result: tuple[bytes, pd.DataFrame]) -> None:
            if store is not None:
                store.write_chunk(c, result[0], config, span[c])
            results[c] = result
            bar.update(len(chunked[c]))
        dispatch(_run_chunk, todo, on_done, **how)
    return results
