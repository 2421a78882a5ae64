"""No hindsight: sources dated after the start are flagged outside scripted history (events, the observed path)."""

from pathlib import Path

from zopa import sim
from zopa.sim.cli import main
from zopa.sim.scenario.hindsight import hindsight

ROOT = Path(__file__).resolve().parents[1]
PIE = (ROOT / "scenarios" / "split-the-pie.yaml").read_text()


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


LATER = PIE.replace("sources:\n", "sources:\n  later: {title: A later report, date: 2024-06-01}\n")


def test_a_later_source_in_a_position_is_flagged_with_its_line(tmp_path):
    text = LATER.replace('evidence: {note: "assumption: nothing without a deal"}',
                         'evidence: {source: later, quote: "nothing"}')
    path = _write(tmp_path, text)
    found = hindsight(sim.load_scenario(path))
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "source: later" in t)
    assert [str(p) for p in found] == [
        f"{path}:{line}: actors.b.reservation.evidence: found source 'later' dated 2024-06-01, after the start "
        "2024-01-01, expected sources on or before the start (later facts belong in events)"]


def test_sources_on_the_start_date_and_in_events_pass(tmp_path):
    text = LATER + ("events:\n  - date: 2024-02-01\n    set: {actors.a.reservation: 0.1}\n"
                    "    evidence: {source: later, quote: it happened}\n")
    assert hindsight(sim.load_scenario(_write(tmp_path, text))) == []
    assert hindsight(sim.load_scenario(ROOT / "scenarios" / "split-the-pie.yaml")) == []


def test_validate_warns_and_strict_fails(tmp_path, capsys):
    path = _write(tmp_path, LATER.replace('evidence: {note: "assumption: nothing without a deal"}',
                                          'evidence: {source: later, quote: "nothing"}'))
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert "warning: " in captured.err and "dated 2024-06-01" in captured.err and "valid" in captured.out
    assert main(["validate", "--strict", str(path)]) == 1
    captured = capsys.readouterr()
    assert "warning" not in captured.err and "dated 2024-06-01" in captured.err and "valid" not in captured.out
    assert main(["validate", "--strict", str(ROOT / "scenarios" / "wage-talks.yaml")]) == 0


def test_every_shipped_scenario_passes_strict():
    """The observed variant's later sources sit in its scripted path, which is history, not hindsight."""
    shipped = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert len(shipped) >= 5
    for path in shipped:
        assert hindsight(sim.load_scenario(path)) == [], path.name


def test_a_later_source_on_the_scripted_path_is_not_hindsight():
    scenario = sim.load_scenario(ROOT / "scenarios" / "december-2022-observed.yaml")
    later = {key for key, source in scenario.sources.items() if source.date > scenario.calendar.start}
    assert later, "the observed variant cites sources dated after its start"
    assert hindsight(scenario) == []
