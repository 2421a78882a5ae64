"""Property tests of the scenario loader: valid files load, broken ones fail kindly and precisely."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zopa import sim
from zopa.sim.cli import main
from strategies import MUTATION_KINDS, mutations, scenarios, write_scenario

ROOT = Path(__file__).resolve().parents[1]
SPLIT = ROOT / "scenarios" / "split-the-pie.yaml"
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<path>\S+): found .+, expected .+")


def _problem_lines(exc: sim.ScenarioError) -> list[str]:
    return str(exc).splitlines()


@given(scenarios())
def test_every_valid_scenario_loads(tmp_path_factory, data):
    path = write_scenario(tmp_path_factory.mktemp("valid"), data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scenario = sim.load_scenario(path)
    assert scenario.file == str(path)
    assert len(scenario.digest) == 64


@pytest.mark.parametrize("kind", MUTATION_KINDS)
def test_every_mutation_is_rejected_at_its_path_and_line(kind, tmp_path_factory):
    @settings(max_examples=12)
    @given(mutations(kinds=(kind,)))
    def check(mutation):
        _rejected_at_its_path_and_line(tmp_path_factory, mutation)

    check()


def _rejected_at_its_path_and_line(tmp_path_factory, mutation):
    tmp = tmp_path_factory.mktemp("bad")
    path = mutation.write(tmp)
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(path)
    assert isinstance(info.value, ValueError)
    text = path.read_text(encoding="utf-8").splitlines()
    hits = [m for m in map(LINE.match, _problem_lines(info.value)) if m and m["path"] == mutation.path]
    assert hits, f"{mutation.kind}: no problem at {mutation.path} in\n{info.value}"
    for hit in hits:
        assert hit["file"] == str(path)
        line = int(hit["line"])
        assert 1 <= line <= len(text)
        if mutation.present:
            last = mutation.path.split(".")[-1]
            expected = "- " if last.isdigit() else last
            assert expected in text[line - 1], f"line {line} is {text[line - 1]!r}, expected {expected!r}"
    if mutation.suggest:
        assert f"did you mean {mutation.suggest!r}" in str(info.value)


def test_python_tags_are_never_executed(tmp_path):
    marker = tmp_path / "executed"
    text = SPLIT.read_text().replace('title: "Two', f"title: !!python/object/apply:os.system ['touch {marker}']\n"
                                                     f"description2: \"Two")
    path = tmp_path / "evil.yaml"
    path.write_text(text)
    with pytest.raises(sim.ScenarioError, match=r"evil.yaml:2: title: found tag !!python/object/apply:os.system"):
        sim.load_scenario(path)
    assert not marker.exists()


@settings(max_examples=30)
@given(mutations(kinds=("python_tag",)))
def test_generated_python_tags_are_never_executed(tmp_path_factory, mutation):
    tmp = tmp_path_factory.mktemp("tag")
    marker = tmp / "executed"
    mutation.text = mutation.text.replace("/nonexistent/zopa-marker", str(marker))
    with pytest.raises(sim.ScenarioError, match="found tag"):
        sim.load_scenario(mutation.write(tmp))
    assert not marker.exists()


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
                     st.dates(), st.sampled_from(["always", "nash", "uniform", "war", "range", "levels"]))
_KEYS = st.one_of(st.text(max_size=8), st.sampled_from(
    ["name", "title", "calendar", "start", "horizon", "issues", "actors", "weights", "ideal", "reservation",
     "red_lines", "min", "max", "allowed", "range", "levels", "war", "win_probability", "prior", "beta",
     "talks_when", "events", "set", "battlefield", "side_a", "p_a", "evidence", "source", "shifts"]))
_NESTED = st.recursive(_SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(_KEYS, c, max_size=4),
                       max_leaves=20)


def _loads_or_scenario_error(path: Path) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim.load_scenario(path)
    except sim.ScenarioError as exc:
        assert exc.problems
        for line in _problem_lines(exc):
            assert line.startswith(str(path)), line


@given(_NESTED)
def test_random_nested_data_raises_only_scenario_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("rand") / "random.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    _loads_or_scenario_error(path)


@given(scenarios().flatmap(lambda d: st.tuples(st.just(d), st.lists(
    st.tuples(st.sampled_from(["", "actors", "issues", "calendar"]), _KEYS, _NESTED), min_size=1, max_size=3))))
def test_valid_scenarios_with_random_junk_raise_only_scenario_error(tmp_path_factory, drawn):
    data, junk = drawn
    for where, key, value in junk:
        node = data[where] if where else data
        if isinstance(node, dict):
            node[key] = value
    path = write_scenario(tmp_path_factory.mktemp("junk"), data)
    _loads_or_scenario_error(path)


_YAMLISH = st.lists(st.sampled_from(list("abc:-[]{}!&*#|>'\"\n ,?%@`\t0123.") + [
    "!!python/object:os.system", "actors:", "  ", "- ", "&a ", "*a", "name: x\n", "<<: *a"]), max_size=40).map("".join)


@given(_YAMLISH)
def test_arbitrary_yaml_like_text_raises_only_scenario_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("text") / "text.yaml"
    path.write_text(text, encoding="utf-8")
    _loads_or_scenario_error(path)


@pytest.mark.parametrize("text", [
    "a: &x [*x]\n",
    "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
    "\xff\xfe",
    "name: x\nname: y\n",
    "[" * 2000,
])
def test_hostile_yaml_fails_with_a_scenario_error(tmp_path, text):
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(sim.ScenarioError):
        sim.load_scenario(path)


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(sim.ScenarioError, match="cannot read file"):
        sim.load_scenario(tmp_path / "nowhere.yaml")


# ---------------------------------------------------------------------------- overrides


def test_override_sets_a_default_parameter():
    scenario = sim.load_scenario(SPLIT, {"actors.a.erosion": 0.02})
    assert scenario.actors["a"].erosion.value == pytest.approx(0.02)
    assert sim.load_scenario(SPLIT).actors["a"].erosion.value == 0


def test_override_changes_the_digest():
    assert sim.load_scenario(SPLIT, {"horizon": 3}).digest != sim.load_scenario(SPLIT).digest


@pytest.mark.parametrize("path, needle", [
    ("actors.zz.erosion", "found no actor 'zz'"),
    ("actors.a.erosoin", "did you mean 'erosion'"),
    ("battlefield.p_a", "found no battlefield section"),
    ("horizn", "did you mean 'horizon'"),
    ("", "empty path"),
])
def test_bad_override_paths_are_reported(path, needle):
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(SPLIT, {path: 0.1})
    assert str(info.value).startswith(f"--set: {path or '<top>'}: found")
    assert needle in str(info.value)


def test_bad_override_values_are_blamed_on_set():
    with pytest.raises(sim.ScenarioError, match=r"^--set: actors\.a\.discount: found 2, expected"):
        sim.load_scenario(SPLIT, {"actors.a.discount": 2})


# ---------------------------------------------------------------------------- messages


def test_several_problems_are_listed_at_once(tmp_path):
    data = yaml.safe_load(SPLIT.read_text())
    data["horizon"] = "soon"
    data["protocol"] = "nsh"
    data["actors"]["a"]["erosoin"] = 0.1
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(write_scenario(tmp_path, data))
    paths = {p.path for p in info.value.problems}
    assert {"horizon", "protocol", "actors.a.erosoin"} <= paths
    assert len(_problem_lines(info.value)) == len(info.value.problems) >= 3


def test_several_cross_field_problems_are_listed_at_once(tmp_path):
    data = yaml.safe_load(SPLIT.read_text())
    data["actors"]["a"]["ideal"]["share"] = 7
    data["actors"]["b"]["weights"]["shar"] = 1
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(write_scenario(tmp_path, data))
    assert {"actors.a.ideal.share", "actors.b.weights.shar"} <= {p.path for p in info.value.problems}
    assert "did you mean 'share'" in str(info.value)


@pytest.mark.parametrize("section, key, typo, suggestion", [
    ((), "horizon", "horizn", "horizon"),
    (("calendar",), "step", "stpe", "step"),
    (("actors", "a"), "discount", "discuont", "discount"),
    (("issues", "share"), "unit", "unti", "unit"),
    (("actors", "a", "reservation"), "evidence", "evidnce", "evidence"),
])
def test_typos_get_a_did_you_mean(tmp_path, section, key, typo, suggestion):
    data = yaml.safe_load(SPLIT.read_text())
    node = data
    for k in section:
        node = node[k]
    node[typo] = node.pop(key)
    with pytest.raises(sim.ScenarioError, match=re.escape(f"did you mean {suggestion!r}")):
        sim.load_scenario(write_scenario(tmp_path, data))


@settings(max_examples=80)
@given(mutations())
def test_messages_never_leak_pydantic(tmp_path_factory, mutation):
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(mutation.write(tmp_path_factory.mktemp("leak")))
    text = str(info.value)
    for leak in ("pydantic", "Input should", "instance of", "Value error", "[number]", "[war]", "WarReservation",
                 "For further information"):
        assert leak not in text
    assert all(LINE.match(line) or ": found " in line for line in _problem_lines(info.value))


def test_suspicious_reservation_warns_once(tmp_path):
    data = yaml.safe_load(SPLIT.read_text())
    data["actors"]["a"]["reservation"] = 1.5
    with pytest.warns(sim.ScenarioWarning, match="reservation above 1") as record:
        sim.load_scenario(write_scenario(tmp_path, data))
    assert len(record) == 1


# ---------------------------------------------------------------------------- the CLI


def test_validate_exits_0_on_a_valid_file(capsys):
    assert main(["validate", str(SPLIT)]) == 0
    assert capsys.readouterr().out.strip() == f"{SPLIT}: valid"


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations())
def test_validate_exits_1_with_messages_and_no_traceback(tmp_path_factory, capsys, mutation):
    path = mutation.write(tmp_path_factory.mktemp("cli"))
    capsys.readouterr()
    assert main(["validate", str(path), str(SPLIT)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert mutation.path in err
    assert f"{SPLIT}: valid" in out


def test_validate_reports_bad_set_without_traceback(capsys):
    assert main(["validate", str(SPLIT), "--set", "actors.zz.erosion=0.1"]) == 1
    assert main(["explain", str(SPLIT), "--set", "nonsense"]) == 1
    err = capsys.readouterr().err
    assert "found no actor 'zz'" in err and "found no '='" in err and "Traceback" not in err


def test_explain_lists_parameters_with_evidence(capsys):
    assert main(["explain", str(SPLIT)]) == 0
    out = capsys.readouterr().out
    assert "actors.a.reservation = 0" in out
    assert '[nash-1950] "the disagreement point"' in out


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_validates(path, capsys):
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
