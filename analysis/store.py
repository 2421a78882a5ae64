"""A sweep's directory: its arguments, one Parquet file per finished chunk, and the final tables.

Every file is written to a temporary name in the same directory and moved into place with
:func:`os.replace`, so a killed sweep leaves either a whole chunk or none of it.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..sim.io import write_atomic

__all__ = ["SweepStore", "IDENTITY"]

# The arguments that decide a sweep's tables; a resume must match every one of them.
IDENTITY = ("scenario_digest", "version", "vary", "design", "samples", "runs", "seed", "chunk_size")


def to_parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def from_parquet_bytes(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def runs_table(chunks: list[bytes]) -> pd.DataFrame:
    """The chunks' rows, in chunk order, as one table (types unified where a column was all-null
    in one chunk)."""
    tables = [pq.read_table(io.BytesIO(c)) for c in chunks]
    return pa.concat_tables(tables, promote_options="default").to_pandas()


def _differences(old: dict, new: dict) -> list[str]:
    return [f"{k}: found {new.get(k)!r}, the directory has {old.get(k)!r}"
            for k in IDENTITY if old.get(k) != new.get(k)]


class SweepStore:
    """The files of one sweep directory."""

    def __init__(self, directory: str | Path):
        self.dir = Path(directory)

    @property
    def config_path(self) -> Path:
        return self.dir / "sweep.json"

    def read_config(self) -> dict | None:
        if not self.config_path.exists():
            return None
        return json.loads(self.config_path.read_text())

    def open(self, config: dict) -> None:
        """Start or resume: write ``config``, or check it against the one already there.

        Raises
        ------
        ValueError
            If the directory holds a sweep with different arguments, naming each difference.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        old = self.read_config()
        if old is not None:
            diffs = _differences(old, config)
            if diffs:
                raise ValueError(f"{self.dir} holds a different sweep; use a new directory or the same "
                                 f"arguments to resume ({'; '.join(diffs)})")
            return
        for stale in self.dir.glob("chunk-*.parquet"):
            stale.unlink()  # chunks without a sweep.json cannot be trusted
        write_atomic(self.config_path, (json.dumps(config, indent=2, default=str) + "\n").encode())

    def chunk_path(self, index: int) -> Path:
        return self.dir / f"chunk-{index:05d}.parquet"

    def done(self) -> set[int]:
        return {int(p.stem.split("-")[1]) for p in self.dir.glob("chunk-[0-9]*.parquet")}

    def write_chunk(self, index: int, data: bytes) -> None:
        write_atomic(self.chunk_path(index), data)

    def read_chunk(self, index: int) -> bytes:
        return self.chunk_path(index).read_bytes()

    def write_points(self, points: pd.DataFrame) -> None:
        write_atomic(self.dir / "points.parquet", to_parquet_bytes(points))

    def read_points(self) -> pd.DataFrame:
        if not (self.dir / "points.parquet").exists():
            raise ValueError(f"{self.dir}: found no points.parquet, expected a finished sweep "
                             "(run the same sweep again to resume it)")
        return pd.read_parquet(self.dir / "points.parquet")

    def read_runs(self) -> pd.DataFrame:
        """Every world of a finished sweep: its chunk files, in order."""
        return runs_table([self.read_chunk(c) for c in sorted(self.done())])
