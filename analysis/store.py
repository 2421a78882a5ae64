"""A sweep's directory: its arguments, one Parquet file per finished chunk, and the final tables.

Layout: ``sweep.json`` (the arguments), ``chunks/chunk-NNNNN.parquet`` (the worlds, one file per
finished chunk: the folder reads as one dataset, ``pd.read_parquet(dir / "chunks")``,
``read_parquet('dir/chunks/*.parquet')`` in DuckDB), ``points.parquet`` and the figures. Chunks that
an older version wrote beside ``sweep.json`` are read too, and moved into ``chunks/`` on resume.

The directory belongs to one sweep at a time (an exclusive ``flock`` on the directory, released by
the kernel when the process ends, so a killed sweep never leaves it stuck). Every file goes through
:func:`sim.io.write_atomic` (a temporary name, fsync, rename, directory fsync), so a killed sweep
leaves a whole chunk or none of it; temporary files a kill left behind are removed on the next run.
Each chunk carries the sweep's identity in its Parquet metadata and is checked against it on resume:
damaged chunks are recomputed, chunks of another sweep or outside the design are refused by path.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..sim.io import write_atomic
from ..sim.tables import from_arrow, parquet_bytes, read_parquet

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; directories are then not locked
    fcntl = None

__all__ = ["SweepStore", "IDENTITY", "SweepWarning"]

# The arguments that decide a sweep's tables; a resume must match every one of them.
IDENTITY = ("scenario_digest", "version", "vary", "design", "samples", "runs", "seed", "chunk_size")
STAMP = b"zopa.sweep"          # the Parquet key-value metadata entry holding a chunk's identity
_TEMPORARY = (".chunk-*.parquet.*.tmp", ".sweep.json.*.tmp", ".points.parquet.*.tmp")
CHUNKS = "chunks"              # the folder of chunk files, inside the sweep's directory


class SweepWarning(UserWarning):
    """A sweep directory needed repair (a damaged chunk is recomputed)."""


def to_parquet_bytes(df: pd.DataFrame) -> bytes:
    """A table as Parquet, typed as :mod:`sim.tables` lays result tables out (dates as ``date32``...)."""
    return parquet_bytes(df)


def from_parquet_bytes(data: bytes) -> pd.DataFrame:
    return read_parquet(data)


def runs_table(chunks: list[bytes]) -> pd.DataFrame:
    """The chunks' rows, in chunk order, as one table (types unified where a column was all-null
    in one chunk)."""
    tables = [pq.read_table(io.BytesIO(c)) for c in chunks]
    return from_arrow(pa.concat_tables(tables, promote_options="default"))


def _differences(old: dict, new: dict) -> list[str]:
    return [f"{k}: found {new.get(k)!r}, the directory has {old.get(k)!r}"
            for k in IDENTITY if old.get(k) != new.get(k)]


def identity(config: dict) -> dict:
    """The part of ``config`` every chunk of the sweep carries."""
    return {k: config.get(k) for k in IDENTITY}


def stamp(data: bytes, config: dict, index: int, points: tuple[int, int]) -> bytes:
    """Parquet ``data`` with the sweep's identity, the chunk's index and its points [first, end)
    added to the file's key-value metadata (the rows are unchanged)."""
    table = pq.read_table(io.BytesIO(data))
    mark = json.dumps({**identity(config), "chunk": index, "points": list(points)}, sort_keys=True, default=str)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), STAMP: mark.encode()})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


class SweepStore:
    """The files of one sweep directory."""

    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self._lock: int | None = None

    # ------------------------------------------------------------------------------ ownership
    def lock(self) -> None:
        """Own the directory until :meth:`unlock` (or this process ends): an exclusive ``flock`` on
        the directory itself, so nothing is left behind and a killed sweep's lock goes with it.

        Raises
        ------
        ValueError
            If another sweep holds it.
        """
        if self._lock is not None or fcntl is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ValueError(f"{self.dir} is in use by another sweep running now; wait for it to finish, "
                             "or write to another directory") from None
        self._lock = fd

    def unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> "SweepStore":
        self.lock()
        return self

    def __exit__(self, *exc) -> None:
        self.unlock()

    # ------------------------------------------------------------------------------ arguments
    @property
    def config_path(self) -> Path:
        return self.dir / "sweep.json"

    def read_config(self) -> dict | None:
        if not self.config_path.exists():
            return None
        try:
            config = json.loads(self.config_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"{self.config_path}: found damaged JSON ({exc}), expected a sweep's arguments; "
                             "remove the directory to start afresh") from None
        if not isinstance(config, dict):
            raise ValueError(f"{self.config_path}: found {type(config).__name__}, expected a sweep's arguments")
        return config

    def open(self, config: dict) -> None:
        """Start or resume: write ``config``, or check it against the one already there.

        Takes the directory's lock first and removes temporary files a killed run left.

        Raises
        ------
        ValueError
            If another sweep runs in the directory, or it holds a sweep with different arguments
            (naming each difference).
        """
        self.lock()
        for pattern in _TEMPORARY:
            for tmp in [*self.dir.glob(pattern), *self.chunks_dir.glob(pattern)]:
                tmp.unlink(missing_ok=True)
        old = self.read_config()
        if old is not None:
            diffs = _differences(old, config)
            if diffs:
                raise ValueError(f"{self.dir} holds a different sweep; use a new directory or the same "
                                 f"arguments to resume ({'; '.join(diffs)})")
            self._move_old_chunks()
            return
        for stale in self._chunk_files():
            stale.unlink()  # chunks without a sweep.json cannot be trusted
        write_atomic(self.config_path, (json.dumps(config, indent=2, default=str) + "\n").encode())

    # ------------------------------------------------------------------------------ chunks
    @property
    def chunks_dir(self) -> Path:
        return self.dir / CHUNKS

    def chunk_path(self, index: int) -> Path:
        """Where chunk ``index`` is: in ``chunks/``, or beside ``sweep.json`` if an older version put it there."""
        name = f"chunk-{index:05d}.parquet"
        old = self.dir / name
        return old if old.exists() and not (self.chunks_dir / name).exists() else self.chunks_dir / name

    def _chunk_files(self) -> list[Path]:
        """Every chunk file, in ``chunks/`` and (older layout) beside ``sweep.json``."""
        return sorted([*self.chunks_dir.glob("chunk-*.parquet"), *self.dir.glob("chunk-*.parquet")],
                      key=lambda p: p.name)

    def _move_old_chunks(self) -> None:
        """Move chunks of the older layout into ``chunks/`` (a rename: whole files or none)."""
        for path in self.dir.glob("chunk-*.parquet"):
            self.chunks_dir.mkdir(exist_ok=True)
            os.replace(path, self.chunks_dir / path.name)

    def done(self) -> set[int]:
        return {int(p.stem.split("-")[1]) for p in self._chunk_files() if p.stem.split("-")[1].isdigit()}

    def write_chunk(self, index: int, data: bytes, config: dict | None = None,
                    points: tuple[int, int] = (0, 0)) -> None:
        """Write a chunk, stamped with the sweep's identity when ``config`` is given."""
        self.chunks_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.chunks_dir / f"chunk-{index:05d}.parquet",
                     stamp(data, config, index, points) if config is not None else data)

    def read_chunk(self, index: int) -> bytes:
        return self.chunk_path(index).read_bytes()

    def verified_chunks(self, config: dict, expected: dict[int, tuple[int, int]], *,
                        repair: bool = True) -> dict[int, bytes]:
        """The chunk files that belong to this sweep, by index, read and checked.

        Parameters
        ----------
        config : dict
            The sweep's arguments (``sweep.json``).
        expected : dict
            Chunk index -> its points [first, end) in the design.
        repair : bool
            Leave out damaged (unreadable, truncated) chunks with a :class:`SweepWarning`, so they
            are recomputed; otherwise raise.

        Raises
        ------
        ValueError
            Naming the file of a chunk outside the design, of another sweep, or moved from another
            index; or of a damaged chunk when ``repair`` is false.
        """
        found: dict[int, bytes] = {}
        for path in self._chunk_files():
            index = path.stem.split("-", 1)[1]
            if not index.isdigit() or int(index) not in expected:
                raise ValueError(f"{path}: found a chunk outside this sweep's design (chunks 0 to "
                                 f"{len(expected) - 1}), expected none; remove it")
            data, problem = _read_checked(path, config, int(index), expected[int(index)])
            if problem is None:
                found[int(index)] = data
            elif problem.startswith("damaged") and repair:
                warnings.warn(f"{path}: {problem}; recomputing it", SweepWarning, stacklevel=2)
            else:
                raise ValueError(f"{path}: {problem}")
        return found

    # ------------------------------------------------------------------------------ tables
    def write_points(self, points: pd.DataFrame) -> None:
        write_atomic(self.dir / "points.parquet", to_parquet_bytes(points))

    def read_points(self) -> pd.DataFrame:
        path = self.dir / "points.parquet"
        if not path.exists():
            raise ValueError(f"{self.dir}: found no points.parquet, expected a finished sweep "
                             "(run the same sweep again to resume it)")
        try:
            return read_parquet(path)
        except (OSError, pa.ArrowException) as exc:
            raise ValueError(f"{path}: found a damaged table ({exc}), expected Parquet; run the same "
                             "sweep again to rewrite it") from None

    def read_runs(self) -> pd.DataFrame:
        """Every world of a finished sweep: its chunk files, in order, each checked."""
        config = self.read_config() or {}
        size, n = config.get("chunk_size"), config.get("points")
        if not size or n is None:
            return runs_table([self.read_chunk(c) for c in sorted(self.done())])
        expected = {c: (s, min(s + size, n)) for c, s in enumerate(range(0, n, size))}
        chunks = self.verified_chunks(config, expected, repair=False)
        if missing := sorted(set(expected) - set(chunks)):
            raise ValueError(f"{self.chunk_path(missing[0])}: found no such file, expected every chunk of a "
                             "finished sweep (run the same sweep again to recompute it)")
        return runs_table([chunks[c] for c in sorted(chunks)])


def _read_checked(path: Path, config: dict, index: int, points: tuple[int, int]) -> tuple[bytes, str | None]:
    """A chunk's bytes and what is wrong with it (None if nothing)."""
    data = path.read_bytes()
    try:
        table = pq.read_table(io.BytesIO(data))
    except (OSError, pa.ArrowException) as exc:
        return data, f"damaged ({exc})"
    raw = (table.schema.metadata or {}).get(STAMP)
    if raw is None:
        return data, "found a chunk without a sweep's identity, expected one written by this sweep; remove it"
    try:
        mark = json.loads(raw)
    except ValueError:
        return data, "damaged (its identity is not JSON)"
    diffs = [f"{k} {mark.get(k)!r} instead of {v!r}" for k, v in identity(config).items()
             if json.dumps(mark.get(k), default=str) != json.dumps(v, default=str)]
    if diffs:
        return data, (f"found a chunk of another sweep ({'; '.join(diffs)}), expected one written by this sweep; "
                      "remove it to recompute it")
    if mark.get("chunk") != index or mark.get("points") != list(points):
        return data, (f"found chunk {mark.get('chunk')} (points {mark.get('points')}) under the name of chunk "
                      f"{index} (points {list(points)}), expected each chunk under its own name; remove it")
    return data, None
