"""Result tables typed for pandas, polars, DuckDB and R: dates, ordered levels, lists, input names, layout."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zopa import analysis, sim
from zopa.analysis.figures import write_sweep_figures
from zopa.sim.tables import SECTIONS, input_columns, is_input

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
DEC, OBSERVED, PIE = (ROOT / "scenarios" / f"{n}.yaml" for n in ("december-2022", "december-2022-observed",
                                                                    "split-the-pie"))
DOC = (ROOT / "docs" / "reference" / "tables.md").read_text()


@pytest.fixture(scope="module")
def december():
    return sim.simulate(sim.load_scenario(DEC), runs=40, seed=3)


def test_parquet_columns_read_back_with_pyarrow_as_dates_lists_and_ordered_levels(december, tmp_path):
    december.save(tmp_path)
    out, hist = pq.read_schema(tmp_path / "outcomes.parquet"), pq.read_schema(tmp_path / "history.parquet")
    for event in ("zopa", "talks", "partial", "agreement", "relapse"):
        assert out.field(f"{event}_date").type == pa.date32()
    assert hist.field("date").type == pa.date32()
    for name in ("blocking", "binding_issues"):
        assert out.field(name).type == pa.list_(pa.string())
    assert hist.field("blocking").type == pa.list_(pa.string())
    crimea = out.field("terms.crimea").type
    assert pa.types.is_dictionary(crimea) and crimea.ordered and crimea.value_type == pa.string()
    dates = pq.read_table(tmp_path / "outcomes.parquet").column("zopa_date").to_pylist()
    assert [d for d in dates if d is not None] == [t.date() for t in december.outcomes["zopa_date"].dropna()]


def test_levels_terms_are_ordered_in_the_scenario_order_and_lists_hold_names(december):
    terms = december.outcomes["terms.crimea"]
    assert isinstance(terms.dtype, pd.CategoricalDtype) and terms.dtype.ordered
    assert list(terms.cat.categories) == list(december.scenario.issues["crimea"].levels)
    blocking = december.outcomes["blocking"]
    assert all(isinstance(b, tuple) and set(b) <= set(december.scenario.actors) for b in blocking)
    assert blocking.map(len).gt(0).any()
    assert blocking.value_counts().sum() == len(blocking)          # hashable: counts and groups work


def test_saved_tables_load_back_equal(december, tmp_path):
    december.save(tmp_path)
    loaded = sim.Results.load(tmp_path)
    pd.testing.assert_frame_equal(loaded.outcomes, december.outcomes)
    pd.testing.assert_frame_equal(loaded.history, december.history)


def test_tables_of_an_older_version_load_with_the_new_types(december, tmp_path):
    december.save(tmp_path)
    old = december.outcomes.copy()
    for name in ("blocking", "binding_issues"):
        old[name] = old[name].map(",".join)
    old["terms.crimea"] = old["terms.crimea"].astype(object)
    old.to_parquet(tmp_path / "outcomes.parquet", index=False)          # timestamps and comma-joined names
    pd.testing.assert_frame_equal(sim.Results.load(tmp_path).outcomes, december.outcomes)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_input_column_is_a_valid_set_path_that_sets_its_value(path):
    o = sim.simulate(sim.load_scenario(path), runs=3, seed=1, history=False).outcomes
    for column in input_columns(o):
        value = float(o[column].iloc[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sim.ScenarioWarning)
            scenario = sim.load_scenario(path, {column: value})       # raises if not a valid --set path
        assert scenario.overrides == {column: value}
    outputs = [c for c in o.columns if not is_input(c)]
    assert outputs and not any(c.split(".")[0] in SECTIONS for c in outputs)


def test_an_event_setting_is_set_by_its_column_name():
    events = sim.load_scenario(OBSERVED).events
    k = next(i for i, e in enumerate(events) if "battlefield.p_a" in e.set)
    o = sim.simulate(sim.load_scenario(OBSERVED), runs=2, seed=1, history=False).outcomes
    assert f"events.{k}.set.battlefield.p_a" in o.columns
    scenario = sim.load_scenario(OBSERVED, {f"events.{k}.set.battlefield.p_a": 0.25})
    assert scenario.events[k].set == {"battlefield.p_a": 0.25}


def _documented(column: str) -> bool:
    if is_input(column):
        return True
    generic = re.sub(r"^(terms|partial_terms|utility|reservation|front|red_lines|trigger)\..+$", r"\1.<", column)
    return f"`{column}`" in DOC or f"`{generic}" in DOC


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_column_is_documented(path):
    res = sim.simulate(sim.load_scenario(path), runs=3, seed=1)
    missing = [c for c in [*res.outcomes.columns, *res.history.columns] if not _documented(c)]
    assert not missing, f"docs/reference/tables.md does not describe {missing}"


# ------------------------------------------------------------------------------------- sweep layout

VARY = {"actors.a.erosion": [0.0, 0.01, 0.02]}
ARGS = dict(runs=4, seed=3, executor="serial", chunk_size=1)


def test_a_sweep_directory_reads_as_one_dataset_from_its_chunks_folder(tmp_path):
    swept = analysis.sweep(PIE, VARY, out=tmp_path, **ARGS)
    write_sweep_figures(swept, tmp_path)
    assert list(tmp_path.glob("*.png")) and not list((tmp_path / "chunks").glob("*.png"))
    table = pd.read_parquet(tmp_path / "chunks").sort_values(["point", "world"], ignore_index=True)
    assert len(table) == len(swept.runs) and list(table.columns) == list(swept.runs.columns)
    np.testing.assert_array_equal(table["actors.a.erosion"], swept.runs["actors.a.erosion"])
    assert pq.read_schema(next((tmp_path / "chunks").glob("*.parquet"))).field("agreement_date").type == pa.date32()
    assert pq.read_schema(tmp_path / "points.parquet").field("agreement_date_median").type == pa.date32()


def test_a_sweep_in_the_older_layout_loads_and_resumes_into_chunks(tmp_path):
    reference = analysis.sweep(PIE, VARY, **ARGS)
    analysis.sweep(PIE, VARY, out=tmp_path, **ARGS)
    for chunk in (tmp_path / "chunks").glob("chunk-*.parquet"):
        shutil.move(chunk, tmp_path / chunk.name)                       # as older versions wrote them
    (tmp_path / "chunks").rmdir()
    (tmp_path / "chunk-00002.parquet").unlink()                          # and one left to compute
    resumed = analysis.sweep(PIE, VARY, out=tmp_path, **ARGS)
    pd.testing.assert_frame_equal(resumed.runs, reference.runs)
    assert not list(tmp_path.glob("chunk-*.parquet"))
    assert sorted(p.name for p in (tmp_path / "chunks").iterdir()) == [f"chunk-0000{i}.parquet" for i in range(3)]
    pd.testing.assert_frame_equal(analysis.Sweep.load(tmp_path).runs, reference.runs)
