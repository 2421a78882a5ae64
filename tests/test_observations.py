"""Observation files: read with line numbers, every problem reported as file:line: path: found, expected."""

import datetime as dt
from pathlib import Path

import pytest

from zopa.sim.scenario.errors import ScenarioError
from zopa.sim.scenario.observations import load_observations

ROOT = Path(__file__).resolve().parents[1]
BETA_OBS = ROOT / "tests" / "data" / "beta-battles-observations.yaml"
HEAD = """name: t
title: test
sources:
  s: {title: a source, date: 2024-01-01}
base_rates:
  deal: {probability: 0.16, of: wars, evidence: {source: s, quote: "16%"}}
observations:
"""
GOOD = """  - id: x
    kind: event
    question: did it?
    reads: agreement_round
    by: 2024-06-01
    observed: false
    evidence: {source: s, quote: q}
"""


def _write(tmp_path, body: str) -> Path:
    path = tmp_path / "obs.yaml"
    path.write_text(HEAD + body)
    return path


def _problems(tmp_path, body: str) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        load_observations(_write(tmp_path, body))
    return [str(p) for p in err.value.problems]


def test_the_shipped_files_load():
    obs = load_observations(BETA_OBS)
    assert [o.kind for o in obs.observations] == ["quantity", "event", "date"]
    assert obs.observations[0].history and obs.observations[0].column == "reservation.a"
    assert obs.observations[2].when == dt.date(2024, 3, 1)
    dec = load_observations(ROOT / "scenarios" / "observations" / "december-2022.yaml")
    assert len(dec.observations) >= 6


def test_a_good_file_and_from_alias(tmp_path):
    obs = load_observations(_write(tmp_path, GOOD.replace("    by:", "    from: 2024-02-01\n    by:")))
    assert obs.observations[0].from_ == dt.date(2024, 2, 1)
    assert obs.observations[0].when == dt.date(2024, 6, 1)


@pytest.mark.parametrize("old, new, where, message", [
    ("observed: false", "observed: 2024-01-01", ":13: observations.0.observed",
     "found datetime.date(2024, 1, 1), expected true or false for an event"),
    ("    by: 2024-06-01\n", "", ":8: observations.0.by", "found nothing, expected the date by which"),
    ("reads: agreement_round", "reads: 'history.'", ":11: observations.0.reads", "expected a column name"),
    ("kind: event", "kind: evnt", ":9: observations.0.kind", "did you mean 'event'"),
    ("quote: q}", "quote: q}\n    colour: red", ":15: observations.0.colour", "found unknown key 'colour'"),
    ("source: s,", "source: t,", ":14: observations.0.evidence.source", "expected an id under sources"),
    ("observed: false", "observed: false\n    base_rate: peace", ":14: observations.0.base_rate",
     "found base rate 'peace', expected one of deal"),
])
def test_bad_observations_are_located(tmp_path, old, new, where, message):
    problems = _problems(tmp_path, GOOD.replace(old, new))
    assert any(where in p and message in p for p in problems), problems
    assert all(p.startswith(str(tmp_path)) for p in problems)


def test_a_date_needs_its_censoring_date_and_a_quantity_its_date(tmp_path):
    date = GOOD.replace("kind: event", "kind: date").replace("    by: 2024-06-01\n", "").replace(
        "observed: false", "observed: 2024-05-01")
    assert any("observations.0.censored_at: found nothing" in p for p in _problems(tmp_path, date))
    late = date.replace("observed: 2024-05-01", "observed: 2024-05-01\n    censored_at: 2024-04-01")
    assert any("observations.0.observed: found 2024-05-01, after censored_at" in p
               for p in _problems(tmp_path, late))
    qty = GOOD.replace("kind: event", "kind: quantity").replace("    by: 2024-06-01\n", "").replace(
        "observed: false", "observed: 0.81").replace("agreement_round", "history.zopa_width")
    assert any("observations.0.at: found nothing" in p for p in _problems(tmp_path, qty))


def test_duplicate_ids_and_unknown_top_level_keys(tmp_path):
    problems = _problems(tmp_path, GOOD + GOOD)
    assert any(":15: observations.1.id: found id 'x' twice" in p for p in problems), problems
    with pytest.raises(ScenarioError, match="obs.yaml:7: observatons: found unknown key 'observatons'.*did you mean"):
        path = tmp_path / "obs.yaml"
        path.write_text(HEAD.replace("observations:", "observatons:") + GOOD)
        load_observations(path)


def _documented_keys(section: str) -> set[str]:
    page = (ROOT / "docs" / "reference" / "observations-format.md").read_text()
    body = page.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return {line.split("`")[1] for line in body.splitlines() if line.startswith("| `")}


def test_the_format_page_documents_exactly_the_schema_keys():
    from zopa.sim.scenario.observations import Observation, Observations

    fields = lambda model: {f.alias or name for name, f in model.model_fields.items() if name not in ("file", "lines")}
    assert _documented_keys("Top level") == fields(Observations)
    assert _documented_keys("An observation") == fields(Observation)
