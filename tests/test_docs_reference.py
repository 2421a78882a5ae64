"""docs/reference/scenario-format.md documents exactly the keys the schema accepts, no more, no fewer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

import zopa.sim.scenario.schema as schema
from zopa.sim.conditions import CONDITION_KEYS
from zopa.sim.scenario.params import DISTRIBUTIONS
from zopa.sim.scenario import SETTABLE

PAGE = Path(__file__).resolve().parents[1] / "docs" / "reference" / "scenario-format.md"
HEADING = re.compile(r"^#+ .*\(`(?P<section>[\w]+)`\)\s*$")
ROW = re.compile(r"^\| `(?P<key>[^`]+)` \|")
RESERVED = {"file", "digest"}  # filled in by load_scenario, never written in a file


def documented() -> dict[str, set[str]]:
    """Section name (in the heading's backticks) -> keys of its table rows."""
    sections: dict[str, set[str]] = {}
    current = None
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if m := HEADING.match(line):
            current = sections.setdefault(m["section"], set())
        elif line.startswith("#"):
            current = None
        elif current is not None and (m := ROW.match(line)):
            current.add(m["key"])
    return sections


MODELS = {name: obj for name, obj in vars(schema).items()
          if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == schema.__name__
          and not name.startswith("_")}
EXPECTED = {name: set(model.model_fields) - RESERVED for name, model in MODELS.items()}
EXPECTED |= {"conditions": set(CONDITION_KEYS), "distributions": set(DISTRIBUTIONS),
             "settable": set(SETTABLE), "evidence": {"source", "quote", "note"}}


def test_every_schema_model_has_a_section():
    assert set(EXPECTED) <= set(documented()), "sections missing from the page"


def test_the_page_has_no_section_the_schema_lacks():
    assert set(documented()) <= set(EXPECTED)


@pytest.mark.parametrize("section", sorted(EXPECTED))
def test_section_documents_exactly_the_schema_keys(section):
    page = documented().get(section, set())
    assert not EXPECTED[section] - page, f"undocumented keys in {section}"
    assert not page - EXPECTED[section], f"documented keys that {section} does not accept"


def test_evidence_keys_match_the_parser():
    from zopa.sim.scenario.params import parse_evidence
    with pytest.raises(ValueError, match="expected source, quote or note"):
        parse_evidence({"nonsense": 1})
    assert parse_evidence({k: "x" for k in ("source", "quote", "note")}).describe()


def test_the_extractor_sees_rows():
    assert "horizon" in documented()["Scenario"]
