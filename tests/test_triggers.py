"""Triggers: worked answers for one-way and reverting triggers, drawn thresholds and each kind of change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zopa import sim
from zopa.sim.model import NegotiationModel
from tests.cases import two_party, write
from tests.test_dynamics import METHODS, use_method

ROOT = Path(__file__).resolve().parents[1]

LOSES = {"side_a": ["a"], "side_b": ["b"], "p_a": 0.0, "battles_per_round": 1}


def blocked(horizon=8, **extra) -> dict:
    """A wants at least 0.8 of the unit, B gives at most 0.5: no zone until something moves.
    A never talks, so no deal ends a world and every round can be read."""
    data = two_party(horizon=horizon, **extra)
    data["actors"]["a"]["red_lines"] = {"share": {"min": 0.8}}
    data["actors"]["b"]["red_lines"] = {"share": {"max": 0.5}}
    data["actors"]["a"]["talks_when"] = "never"
    return data


def open_by_round(tmp_path, data, runs=1, seed=0) -> np.ndarray:
    """(rounds, worlds): whether the zone is open, round 0 to the horizon."""
    m = NegotiationModel(sim.load_scenario(write(tmp_path, data)), runs=runs, rng=seed)
    rows = [m.last["zopa_open"].copy()]
    while m.running:
        m.step()
        rows.append(m.last["zopa_open"].copy())
    return np.array(rows)


def test_one_way_trigger_on_setbacks_opens_the_zone_at_the_third_loss(tmp_path):
    # A loses one battle a round, so its net setbacks are t at round t: the trigger fires at round 3
    data = blocked(battlefield=LOSES)
    data["actors"]["a"]["triggers"] = [{"when": {"setbacks_at_least": 3}, "red_lines": {"share": {"min": 0.3}}}]
    opened = open_by_round(tmp_path, data)[:, 0]
    assert opened.tolist() == [False] * 3 + [True] * 6


def test_a_shift_is_a_one_way_trigger(tmp_path):
    data = blocked(battlefield=LOSES)
    data["actors"]["a"]["shifts"] = [{"after_setbacks": 3, "red_lines": {"share": {"min": 0.3}}}]
    assert open_by_round(tmp_path, data)[:, 0].tolist() == [False] * 3 + [True] * 6


def test_reverting_trigger_is_undone_after_k_rounds_without_its_condition(tmp_path):
    # monthly from 2024-01-01: the condition holds before 2024-03-01, i.e. in rounds 0 and 1 (updates start at
    # round 1), fails from round 2; with revert_after 2 it is undone at round 3, so the zone is open in 1 and 2
    trig = {"when": {"not": {"from": "2024-03-01"}}, "red_lines": {"share": {"min": 0.3}}, "revert_after": 2}
    data = blocked()
    data["actors"]["a"]["triggers"] = [trig]
    assert open_by_round(tmp_path, data)[:, 0].tolist() == [False, True, True] + [False] * 6
    one_way = {k: v for k, v in trig.items() if k != "revert_after"}
    data["actors"]["a"]["triggers"] = [one_way]
    assert open_by_round(tmp_path, data)[:, 0].tolist() == [False] + [True] * 8


def test_thresholds_are_drawn_per_world(tmp_path):
    data = blocked(battlefield=LOSES)
    data["actors"]["a"]["triggers"] = [{"when": {"setbacks_at_least": {"choice": [2, 5]}},
                                        "red_lines": {"share": {"min": 0.3}}}]
    opened = open_by_round(tmp_path, data, runs=40, seed=3)
    first = opened.argmax(axis=0)
    m = NegotiationModel(sim.load_scenario(write(tmp_path, data)), runs=40, rng=3)
    drawn = m.worlds.sampled["actors.a.triggers.0.when.setbacks_at_least"]
    np.testing.assert_array_equal(first, drawn)
    assert set(first) == {2, 5}


def test_gains_open_a_zone_by_widening_the_winners_aims(tmp_path):
    # A wins every battle; after 2 net gains B (losing) concedes up to 0.9, but A's aims widen to 0.95 after 4
    data = blocked(battlefield={**LOSES, "p_a": 1.0})
    data["actors"]["b"]["triggers"] = [{"when": {"setbacks_at_least": 2}, "red_lines": {"share": {"max": 0.9}}}]
    data["actors"]["a"]["triggers"] = [{"when": {"gains_at_least": 4}, "red_lines": {"share": {"min": 0.95}}}]
    assert open_by_round(tmp_path, data)[:, 0].tolist() == [False, False, True, True] + [False] * 5


def test_another_actors_move_is_seen_the_same_round(tmp_path):
    data = blocked(battlefield=LOSES)
    data["actors"]["a"]["triggers"] = [{"name": "soften", "when": {"setbacks_at_least": 2},
                                        "red_lines": {"share": {"min": 0.6}}}]
    data["actors"]["b"]["triggers"] = [{"when": {"moved": "a.soften"}, "red_lines": {"share": {"max": 0.7}}}]
    assert open_by_round(tmp_path, data)[:, 0].tolist() == [False, False] + [True] * 7


def test_a_window_of_setbacks_and_a_stalemate(tmp_path):
    data = blocked(battlefield=LOSES)
    data["actors"]["a"]["triggers"] = [{"when": {"setbacks_within": {"rounds": 3, "at_least": 3}},
                                        "red_lines": {"share": {"min": 0.3}}}]
    assert open_by_round(tmp_path, data)[:, 0].tolist() == [False] * 3 + [True] * 6
    # no battles: the net tally over any 2 rounds is 0, a stalemate once 2 rounds have passed
    data = blocked()
    data["actors"]["a"]["triggers"] = [{"when": {"stalemate_for": {"rounds": 2, "at_most": 0}},
                                        "red_lines": {"share": {"min": 0.3}}}]
    data["actors"]["a"]["talks_when"] = "never"
    assert open_by_round(tmp_path, data)[:, 0].tolist() == [False] * 2 + [True] * 7


def test_reservation_shift_and_talks_stance(tmp_path):
    # no red lines; A's reservation 0.8 and B's 0.5 leave no zone (0.8 + 0.5 > 1) until A's drops by 0.4
    data = two_party(reservations=(0.8, 0.5), horizon=6, battlefield=LOSES)
    data["actors"]["a"]["talks_when"] = "never"
    data["actors"]["a"]["triggers"] = [{"when": {"setbacks_at_least": 2}, "reservation_shift": -0.4},
                                       {"when": {"setbacks_at_least": 4}, "talks": "open"}]
    r = sim.simulate(sim.load_scenario(write(tmp_path, data)), runs=1, seed=0)
    assert r.outcomes["zopa_round"].iloc[0] == 2
    assert r.outcomes["talks_round"].iloc[0] == 4
    assert r.outcomes["agreement_round"].iloc[0] == 4
    assert r.outcomes["utility.a"].iloc[0] >= 0.4 - 1e-9


def test_weights_change_moves_the_zone_exactly(tmp_path):
    # two issues; A cares only for x at first, then only for y: a reservation of 0.9 is then met by y alone
    data = {
        "name": "w", "title": "w", "calendar": {"start": "2024-01-01"}, "horizon": 4,
        "issues": {"x": {"range": [0, 1]}, "y": {"range": [0, 1]}},
        "actors": {
            "a": {"weights": {"x": 1, "y": 0}, "ideal": {"x": 1, "y": 1}, "reservation": 0.9, "talks_when": "never",
                  "red_lines": {"x": {"max": 0.5}},
                  "triggers": [{"when": {"from": "2024-03-01"}, "weights": {"x": 0, "y": 1}}]},
            "b": {"weights": {"x": 1}, "ideal": {"x": 0}, "reservation": 0.0},
        },
    }
    assert open_by_round(tmp_path, data)[:, 0].tolist() == [False, False, True, True, True]


@pytest.mark.parametrize("trigger, expected", [
    ({"when": {"setbacks_at_least": 1}}, "changes nothing"),
    ({"when": {"moved": "b.nothing"}, "talks": "open"}, "trigger 'b.nothing'"),
    ({"when": {"setbacks_at_least": -1}, "talks": "open"}, "expected a whole number >= 0"),
    ({"when": {"stalemate_for": {"rounds": 2}}, "talks": "open"}, "expected {rounds: m, at_most: k}"),
    ({"when": {"setback_at_least": 1}, "talks": "open"}, "did you mean 'setbacks_at_least'"),
    ({"when": "always", "red_lines": {"shre": {"min": 0.2}}}, "did you mean 'share'"),
    ({"when": "always", "aid": {"us": 0.5}}, "patron 'us'"),
    ({"when": "always", "talks": "maybe"}, "talks"),
])
def test_bad_triggers_are_reported_with_their_line(tmp_path, trigger, expected):
    data = blocked()
    data["actors"]["a"]["triggers"] = [trigger]
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(write(tmp_path, data))
    message = str(err.value)
    assert expected in message
    assert "case.yaml:" in message and "actors.a.triggers.0" in message


def partial_case(weights_a: dict, trigger: dict | None = None) -> dict:
    """Three actors, two range issues and a levels one; a partial deal settles x and the levels issue and
    defers y at its status quo. Ideals and red lines are drawn per world; nobody talks, so nothing settles."""
    def actor(w, res):
        return {"weights": w, "ideal": {"x": {"uniform": [0, 1]}, "y": {"uniform": [0, 1]}, "g": "mid"},
                "red_lines": {"x": {"min": {"uniform": [0, 0.3]}}}, "reservation": res, "talks_when": "never"}
    data = {
        "name": "p", "title": "p", "calendar": {"start": "2024-01-01"}, "horizon": 3,
        "issues": {"x": {"range": [0, 1]}, "y": {"range": [0, 1], "status_quo": 0.4},
                   "g": {"levels": ["lo", "mid", "hi"]}},
        "actors": {"a": actor(weights_a, 0.75), "b": actor({"x": 2, "y": 1, "g": 1}, 0.75),
                   "c": actor({"x": 1, "y": 3, "g": 1}, 0.7)},
        "partial_deals": {"line": {"issues": ["x", "g"]}},
    }
    if trigger is not None:
        data["actors"]["a"]["triggers"] = [trigger]
    return data


def partial_verdicts(m: NegotiationModel) -> tuple[np.ndarray, np.ndarray]:
    """Width and openness of the partial deal's zone in every world, as the model evaluates it."""
    r = m.reservations() - m.worlds.partial["line"].deferred_value
    v = m.partial_zones["line"].evaluate(r, m.active, blocking=False)
    return v.t, v.open


@pytest.mark.parametrize("method", METHODS)
def test_a_weights_trigger_moves_every_partial_deals_zone_exactly(tmp_path, monkeypatch, method):
    # A's weights change at round 1 in every world; from then on each partial-deal verdict (its zone, and
    # the deferred issue's status quo valued with the new weights) is that of A holding them from the start,
    # whichever method the zone uses
    use_method(monkeypatch, method)
    new = {"x": 1, "y": 4, "g": 0.5}
    moved = NegotiationModel(sim.load_scenario(write(tmp_path, partial_case(
        {"x": 4, "y": 1, "g": 2}, {"when": "always", "weights": new}), "moved.yaml")), runs=300, rng=7)
    fresh = NegotiationModel(sim.load_scenario(write(tmp_path, partial_case(new), "fresh.yaml")), runs=300, rng=7)
    assert moved.partial_zones["line"].method == method.split("-")[0]
    before = partial_verdicts(moved)[0]
    for _ in range(2):
        moved.step()
        fresh.step()
        t_moved, open_moved = partial_verdicts(moved)
        t_fresh, open_fresh = partial_verdicts(fresh)
        np.testing.assert_allclose(t_moved, t_fresh, atol=1e-12, rtol=0)
        np.testing.assert_array_equal(open_moved, open_fresh)
    assert np.abs(before - t_fresh).max() > 0.05        # the weights do matter to the partial zone
    assert 0 < open_fresh.sum() < 300


def while_dates(start: str, end: str) -> dict:
    """A condition that holds from ``start`` until the day before ``end``."""
    return {"all": [{"from": start}, {"not": {"from": end}}]}


def red_lo_by_round(tmp_path, data) -> list[float]:
    """A's lowest acceptable share, round 0 to the horizon (A never talks, so every round is read)."""
    m = NegotiationModel(sim.load_scenario(write(tmp_path, data)), runs=1, rng=0)
    rows = [float(m.worlds.red_lo[0, 0, 0])]
    while m.running:
        m.step()
        rows.append(float(m.worlds.red_lo[0, 0, 0]))
    return rows


def test_overlapping_triggers_the_last_fired_is_in_force_and_reverts_give_back_the_right_one(tmp_path):
    # A's own red line is 0.8 (monthly from 2024-01-01: round t is the first of month t + 1). "early" holds
    # in rounds 1-3 and sets 0.3; "late" holds in rounds 2-5 and sets 0.6; each reverts after one round
    # without its condition. Round 2: late fired last, 0.6. Round 4: early reverts but late is still in force,
    # so 0.6 stays. Round 6: late reverts and nothing is in force: A's own 0.8 comes back (not early's 0.3)
    data = blocked()
    data["actors"]["a"]["triggers"] = [
        {"name": "early", "when": while_dates("2024-02-01", "2024-05-01"), "red_lines": {"share": {"min": 0.3}},
         "revert_after": 1},
        {"name": "late", "when": while_dates("2024-03-01", "2024-07-01"), "red_lines": {"share": {"min": 0.6}},
         "revert_after": 1}]
    assert red_lo_by_round(tmp_path, data) == [0.8, 0.3, 0.6, 0.6, 0.6, 0.6, 0.8, 0.8, 0.8]
    # declared the other way round, the same firings give the same answer: firing order decides, not the file
    data["actors"]["a"]["triggers"].reverse()
    assert red_lo_by_round(tmp_path, data) == [0.8, 0.3, 0.6, 0.6, 0.6, 0.6, 0.8, 0.8, 0.8]


def test_overlapping_triggers_fired_in_one_round_the_later_declared_wins(tmp_path):
    # both fire in round 1: the one declared later (0.6) is in force; it reverts first (its condition fails
    # in round 2), giving back the other's 0.3, which reverts in round 4, giving back A's own 0.8
    data = blocked()
    data["actors"]["a"]["triggers"] = [
        {"when": while_dates("2024-02-01", "2024-05-01"), "red_lines": {"share": {"min": 0.3}}, "revert_after": 1},
        {"when": while_dates("2024-02-01", "2024-03-01"), "red_lines": {"share": {"min": 0.6}}, "revert_after": 1}]
    assert red_lo_by_round(tmp_path, data) == [0.8, 0.6, 0.3, 0.3, 0.8, 0.8, 0.8, 0.8, 0.8]


def test_a_revert_leaves_the_targets_it_does_not_set_alone(tmp_path):
    # "floor" sets A's min only; "cap" (fired later, one-way) sets A's max. When floor reverts, A's min goes
    # back to 0.8 and the cap's max stays: a revert gives back only what the trigger itself set
    data = blocked()
    data["actors"]["a"]["triggers"] = [
        {"when": while_dates("2024-02-01", "2024-04-01"), "red_lines": {"share": {"min": 0.3}}, "revert_after": 1},
        {"when": {"from": "2024-03-01"}, "red_lines": {"share": {"max": 0.9}}}]
    m = NegotiationModel(sim.load_scenario(write(tmp_path, data)), runs=1, rng=0)
    bounds = []
    while m.running:
        m.step()
        bounds.append((float(m.worlds.red_lo[0, 0, 0]), float(m.worlds.red_hi[0, 0, 0])))
    assert bounds[:4] == [(0.3, 1.0), (0.3, 0.9), (0.8, 0.9), (0.8, 0.9)]


def test_an_event_on_a_red_line_counts_as_fired_last(tmp_path):
    # "early" (0.3) holds in rounds 1-3, "late" (0.6) in rounds 3-5, each reverting after one round without
    # its condition; an event dated round 2 sets A's min to 0.5. Round 2: the event's 0.5 is in force over
    # early's. Round 3: late fires after the event, 0.6. Round 4: early reverts, but it fired before the event,
    # so nothing changes. Round 6: late reverts, and what comes back is the event's 0.5, not A's own 0.8
    data = blocked(events=[{"date": "2024-03-01", "set": {"actors.a.red_lines.share.min": 0.5}}])
    data["actors"]["a"]["triggers"] = [
        {"name": "early", "when": while_dates("2024-02-01", "2024-05-01"), "red_lines": {"share": {"min": 0.3}},
         "revert_after": 1},
        {"name": "late", "when": while_dates("2024-04-01", "2024-07-01"), "red_lines": {"share": {"min": 0.6}},
         "revert_after": 1}]
    assert red_lo_by_round(tmp_path, data) == [0.8, 0.3, 0.5, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5]
    # an event before any trigger fired is simply what is there: the trigger gives it back when it reverts
    data["events"][0]["date"] = "2024-01-15"
    data["actors"]["a"]["triggers"] = data["actors"]["a"]["triggers"][1:]
    assert red_lo_by_round(tmp_path, data) == [0.8, 0.5, 0.5, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5]


def test_the_ring_of_recent_rounds_sums_as_the_full_record_does():
    """Window conditions read a ring as long as the longest window: the same sums as every round kept."""
    from zopa.sim.conditions import Recent, longest_window, parse_condition

    cond = parse_condition({"any": [{"setbacks_within": {"rounds": 3, "at_least": 1}},
                                    {"not": {"stalemate_for": {"rounds": 5, "at_most": 0}}}]})
    assert longest_window([cond, parse_condition({"from": "2024-01-01"})]) == 5
    rng = np.random.default_rng(0)
    ring, full = Recent(5, 7), []
    for _ in range(12):
        net = rng.integers(-3, 4, 7).astype(float)
        ring.push(net)
        full.append(net)
        for rounds in range(1, 6):
            got, done = ring.window(rounds)
            np.testing.assert_array_equal(got, np.sum(full[-rounds:], axis=0))
            assert done == (len(full) >= rounds)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.lists(st.integers(1, 12), min_size=0, max_size=3))
def test_red_line_floor_is_the_worst_outcome_inside_the_red_lines(seed, kc, sizes):
    """The floor against the plain formula: the worst of each range issue's two red lines, plus the worst
    allowed level of each levels issue (inf where none is allowed), weights zero among them."""
    from types import SimpleNamespace

    from zopa.sim.model.floors import red_line_floor

    rng = np.random.default_rng(seed)
    W, n = 50, 3
    front = None if rng.random() < 0.5 else int(rng.integers(kc))      # the issue added last, if any
    w = rng.random((W, n, kc + len(sizes))) * (rng.random((W, n, kc + len(sizes))) < 0.8)
    ideal = rng.random((W, n, kc))
    lo = np.where(rng.random((W, n, kc)) < 0.5, rng.random((W, n, kc)) * ideal, 0.0)
    hi = np.where(rng.random((W, n, kc)) < 0.5, ideal + rng.random((W, n, kc)) * (1 - ideal), 1.0)
    wd = SimpleNamespace(ideal=ideal, span=np.maximum(ideal, 1 - ideal), red_lo=lo, red_hi=hi,
                         w_range=w[:, :, :kc], w_level=w[:, :, kc:],
                         allowed=[rng.random((W, n, s)) < 0.6 for s in sizes],
                         level_vals=[rng.random((n, s)) for s in sizes], dyn=SimpleNamespace(front=front))
    for i in range(n):
        expect = np.zeros(W)
        for x in range(W):
            for k in range(kc):
                far = max(abs(lo[x, i, k] - ideal[x, i, k]), abs(hi[x, i, k] - ideal[x, i, k]))
                expect[x] += w[x, i, k] * (1 - far / wd.span[x, i, k])
            for j, al in enumerate(wd.allowed):
                ok = [wd.w_level[x, i, j] * wd.level_vals[j][i, lv] for lv in range(sizes[j]) if al[x, i, lv]]
                expect[x] += min(ok) if ok else np.inf
        np.testing.assert_allclose(red_line_floor(wd, i), expect, rtol=0, atol=1e-12)


def test_kept_floors_are_the_floors_computed_afresh_in_every_scenario_and_round(tmp_path):
    """:class:`Floors` keeps the part of each floor that the front line does not move between rounds: every
    floor a trigger condition reads, in every shipped scenario and in a case whose weights, red lines and
    allowed levels move by triggers and an event, equals :func:`red_line_floor` computed then from the
    current red lines, bit for bit."""
    from zopa.sim.model.floors import red_line_floor

    moving = partial_case({"x": 1, "y": 1, "g": 1})
    moving["horizon"] = 5
    moving["actors"]["a"]["triggers"] = [
        {"when": {"from": "2024-03-01"}, "weights": {"x": 0, "y": 1, "g": 2}},
        {"when": {"reservation_below_red_lines": 0.0}, "red_lines": {"y": {"max": 0.9}}, "revert_after": 1},
        {"when": {"from": "2024-05-01"}, "red_lines": {"g": {"allowed": ["mid", "hi"]}}}]
    moving["events"] = [{"date": "2024-04-01", "set": {"actors.a.red_lines.x.min": 0.2}}]
    checked = 0
    for path in [*sorted((ROOT / "scenarios").glob("*.yaml")), write(tmp_path, moving)]:
        model = sim.NegotiationModel(sim.load_scenario(path), runs=300, seed=5, history=False)
        kept = model.floors.of

        def check(i, kept=kept, model=model):
            nonlocal checked
            out = kept(i)
            np.testing.assert_array_equal(out, red_line_floor(model.worlds, i))
            checked += 1
            return out

        model.floors.of = check
        model.run_model()
    assert checked > 500


def _uncovered_targets_hold_what_was_kept(model) -> int:
    """Check, for every target a trigger has fired on, that in each world no trigger in force covers (none
    fired after the last event on it) the target holds what :class:`Layers` kept (a bound relative to the
    line up to its place on the line); return how many (target, world) pairs were checked."""
    from zopa.sim.model.triggers import _get

    layers, wd, checked = model.worlds.dyn.layers, model.worlds, 0
    for key, kept in layers.base.items():
        event = layers.events.get(key, 0)
        covered = np.zeros(wd.runs, dtype=bool)
        for book, u in layers.owners[key]:
            covered |= book.on[u] & (book.stamp[u] > event)
        free = np.flatnonzero(~covered)
        now, then = _get(wd, key, free), kept[free]
        if key[0] in ("lo", "hi"):
            np.testing.assert_array_equal(now[:, 1], then[:, 1])
            absolute = np.isnan(then[:, 1])
            now, then = now[absolute, 0], then[absolute, 0]
        np.testing.assert_array_equal(now, then)
        checked += len(free)
    return checked


def test_a_target_no_trigger_covers_holds_what_was_kept_in_every_world_and_round(tmp_path):
    """Layers keep what is on a target once, when the first trigger fires on it, and again after each event
    on it: the rule is sound only if, in every world and round, a target no trigger in force covers still
    holds what was kept. Checked with overlapping and reverting triggers firing in different rounds in
    different worlds, a one-way trigger, an event on the target, and in the shipped scenarios (bounds
    relative to the front line, events on red lines)."""
    data = blocked(horizon=14, battlefield={"side_a": ["a"], "side_b": ["b"], "p_a": {"uniform": [0.2, 0.8]},
                                            "battles_per_round": 1},
                   events=[{"date": "2024-06-01", "set": {"actors.a.red_lines.share.min": 0.5}}])
    data["actors"]["a"]["triggers"] = [
        {"when": {"setbacks_within": {"rounds": 2, "at_least": {"choice": [1, 2]}}},
         "red_lines": {"share": {"min": 0.3}}, "revert_after": 1},
        {"when": {"gains_within": {"rounds": 2, "at_least": {"choice": [1, 2]}}},
         "red_lines": {"share": {"min": 0.6}}, "revert_after": 2},
        {"when": {"setbacks_at_least": {"choice": [2, 3]}}, "red_lines": {"share": {"min": 0.4, "max": 0.9}}}]
    paths = [write(tmp_path, data), ROOT / "scenarios" / "december-2022.yaml",
             ROOT / "scenarios" / "december-2022-observed.yaml"]
    for path in paths:
        model = NegotiationModel(sim.load_scenario(path), runs=200, rng=4)
        checked = 0
        while model.running:
            model.step()
            checked += _uncovered_targets_hold_what_was_kept(model)
        assert checked > 1000, path
