"""How result tables are typed and laid out in Parquet, for pandas, polars, DuckDB and R alike.

- Dates are calendar dates: ``datetime64[ms]`` in pandas (no overflow from year 1 to 9999), Parquet
  ``date32`` on disk, which R (arrow), DuckDB and polars read as their date type.
- A levels issue's terms are an ordered categorical (its levels in the scenario's order), stored as a
  Parquet dictionary column.
- Sets of names (``blocking``, ``binding_issues``) are lists of strings: Parquet ``list<string>``, and
  in pandas tuples (hashable, so ``value_counts`` and ``groupby`` work; ``explode`` gives one per row).
- Columns are told apart by their names: a column is a scenario *input* exactly when its first dotted
  part is a section of the scenario format (``actors.``, ``battlefield.``, ``events.``, ...); its name
  is then the ``--set`` path that sets it. Every other column is an output, and no output name begins
  with a section.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["SECTIONS", "LIST_COLUMNS", "is_input", "input_columns", "names_list", "ordered_levels",
           "ordered_level_codes", "to_arrow", "from_arrow", "write_parquet", "read_parquet", "parquet_bytes"]

# Top-level keys of the scenario format that a --set path may start with (see sim.scenario.schema).
SECTIONS = ("actors", "issues", "battlefield", "patrons", "events", "observed", "partial_deals", "relapse",
            "calendar", "horizon", "protocol", "concession_step", "name", "title", "description", "sources")
LIST_COLUMNS = ("blocking", "binding_issues")


def is_input(column: str) -> bool:
    """Whether ``column`` holds a scenario input (its name is then a valid ``--set`` path)."""
    return str(column).split(".", 1)[0] in SECTIONS


def input_columns(table: pd.DataFrame) -> list[str]:
    """The input columns of a result table, in order (sampled parameters, or a sweep's varied ones)."""
    return [c for c in table.columns if is_input(c)]


def names_list(joined: np.ndarray) -> np.ndarray:
    """Comma-joined names (``"a,b"``, ``""``) as tuples (``("a", "b")``, ``()``)."""
    joined = np.asarray(joined, dtype=object)
    uniq, inverse = np.unique(joined.astype(str), return_inverse=True)
    lists = np.empty(len(uniq) + 1, dtype=object)
    lists[:-1] = [tuple(n for n in u.split(",") if n) for u in uniq]
    return lists[:-1][inverse.reshape(joined.shape)]


def ordered_levels(values, levels) -> pd.Categorical:
    """Level names (None where no level) as an ordered categorical of ``levels``, in the scenario's order."""
    return pd.Categorical(values, categories=list(levels), ordered=True)


def ordered_level_codes(codes: np.ndarray, levels) -> pd.Categorical:
    """:func:`ordered_levels` from level indices (-1 where no level), with no array of names in between."""
    return pd.Categorical.from_codes(np.where(codes < 0, -1, codes), categories=list(levels), ordered=True)


def _field(name: str, series: pd.Series) -> pa.Field | None:
    """The Parquet type a column is written with, where pyarrow's own inference would not do."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return pa.field(name, pa.date32())
    if name in LIST_COLUMNS:
        return pa.field(name, pa.list_(pa.string()))
    return None


def to_arrow(table: pd.DataFrame) -> pa.Table:
    """A result table as Arrow: dates as ``date32``, lists of names as ``list<string>``, categoricals as
    dictionaries (ordered where the categorical is)."""
    out = pa.Table.from_pandas(table, preserve_index=False)
    for name in table.columns:
        field = _field(name, table[name])
        if field is not None:
            i = out.schema.get_field_index(name)
            out = out.set_column(i, field, out.column(i).cast(field.type))
    return out


def from_arrow(table: pa.Table) -> pd.DataFrame:
    """A table written by :func:`to_arrow` (or an older version) back as pandas: dates as
    ``datetime64[ms]``, lists of names as tuples, dictionaries as categoricals."""
    df = table.to_pandas(date_as_object=False)
    for name in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[name].dtype):
            df[name] = df[name].astype("datetime64[ms]")
        elif pa.types.is_list(table.schema.field(name).type):
            df[name] = pd.Series([None if v is None else tuple(v) for v in df[name]], index=df.index, dtype=object)
        elif name in LIST_COLUMNS:         # written before lists: comma-joined names
            df[name] = pd.Series(names_list(df[name].fillna("").to_numpy(dtype=object)), index=df.index)
    return df


def parquet_bytes(table: pd.DataFrame) -> bytes:
    """A result table as Parquet bytes (see :func:`to_arrow`)."""
    buf = io.BytesIO()
    pq.write_table(to_arrow(table), buf)
    return buf.getvalue()


def write_parquet(table: pd.DataFrame, path: str | Path) -> None:
    pq.write_table(to_arrow(table), str(path))


def read_parquet(source) -> pd.DataFrame:
    """A result table from a Parquet file, or bytes, as :func:`from_arrow` gives it."""
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    return from_arrow(pq.read_table(source))
