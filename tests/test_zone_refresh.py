"""The zone's incremental refresh against a full rebuild and the slow reference (scipy's HiGHS).

When red lines move, :class:`sim.engine.solver.Zone` recomputes only the worlds marked stale, and only
those it is asked about (the others stay stale until they are). Whatever the order of moves and looks,
its verdicts must be those of a zone built afresh on the current red lines, and the exact width.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zopa.sim.engine import solver as zopa
from tests.test_zopa_property import _reference, _worlds, instances


def _move(inst, rng, where: np.ndarray) -> None:
    """New red lines in worlds ``where``: a bound moved, kept where it was, or dropped, per actor and issue;
    levels allowed or refused afresh."""
    W, n, kc = inst["red_lo"].shape
    for key, draw in (("red_lo", lambda s: rng.random(s) * 0.6), ("red_hi", lambda s: 0.4 + rng.random(s) * 0.6)):
        choice = rng.integers(0, 3, (W, n, kc))          # 0 keep, 1 move, 2 drop (to the end)
        moved = np.where(choice == 1, draw((W, n, kc)), 0.0 if key == "red_lo" else 1.0)
        inst[key][:] = np.where(where[:, None, None] & (choice > 0), moved, inst[key])
    for al in inst["allowed"]:
        al[:] = np.where(where[:, None, None] & (rng.random(al.shape) < 0.3), rng.random(al.shape) < 0.8, al)


def _same(v, ref, method: str) -> None:
    """Enumeration: the same verdict, bit for bit. The LP method warm-starts from the vertices each world has
    met, so its certificate is an index into its own list and ties may be broken otherwise: the same width
    (1e-9), and the same blocking actors where red lines leave no outcome."""
    if method == "enumerate":
        for name in ("t", "open", "combo", "cert", "blocking"):
            assert np.array_equal(getattr(v, name), getattr(ref, name)), name
        return
    fin = np.isfinite(ref.t)
    assert np.array_equal(np.isfinite(v.t), fin)
    assert np.abs(v.t[fin] - ref.t[fin]).max(initial=0.0) <= 1e-9
    assert np.array_equal(v.blocking[~fin], ref.blocking[~fin])


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 2**32 - 1), st.sampled_from(["enumerate", "lp"]))
def test_incremental_refresh_equals_full_rebuild_and_highs(inst, seed, method):
    """Three rounds of moving red lines in some worlds and looking at others: the zone kept up to date
    incrementally gives exactly the verdicts of a zone rebuilt from scratch, and HiGHS's width (1e-9),
    in every world it is asked about; a world left stale while not looked at is right once it is."""
    rng = np.random.default_rng(seed)
    ws = _worlds(inst)
    W = len(inst["r"])
    zone = zopa.Zone(ws, method=method)
    zone.evaluate(inst["r"], np.ones(W, dtype=bool))
    for _ in range(3):
        where = rng.random(W) < 0.5
        _move(inst, rng, where)
        zone.stale |= where
        active = rng.random(W) < 0.7
        v = zone.evaluate(inst["r"], active)
        _same(v, zopa.Zone(ws, method=method).evaluate(inst["r"], active), method)
        for i in np.where(active)[0]:
            ref = _reference(inst, i, inst["r"])
            assert (v.t[i] == ref) if np.isinf(ref) else abs(v.t[i] - ref) <= 1e-9, (v.t[i], ref)
    everyone = np.ones(W, dtype=bool)
    _same(zone.evaluate(inst["r"], everyone), zopa.Zone(ws, method=method).evaluate(inst["r"], everyone), method)


@settings(max_examples=10, deadline=None)
@given(instances())
def test_worlds_not_looked_at_stay_stale_until_they_are(inst):
    """The refresh of worlds not asked about is deferred, not lost."""
    ws = _worlds(inst)
    W = len(inst["r"])
    assume(W > 1)
    zone = zopa.Zone(ws)
    active = np.zeros(W, dtype=bool)
    active[0] = True
    zone.evaluate(inst["r"], active)
    assert zone.stale[1:].all() and not zone.stale[0]
    zone.evaluate(inst["r"], ~active)
    assert not zone.stale.any()


def test_december_2022_tables_are_those_of_a_full_rebuild_every_round(monkeypatch):
    """On december-2022 (red lines that follow the front, a partial deal), seed 3, 300 worlds: the outcome
    and history tables with the incremental refresh equal, cell for cell, those of a run whose every zone
    (the full one and the ceasefire's) is rebuilt for every world in every round."""
    from pathlib import Path

    import pandas as pd

    from zopa import sim

    spec = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "december-2022.yaml")
    fast = sim.simulate(spec, runs=300, seed=3)
    refresh = zopa.Zone.refresh

    def rebuild(self, where=None):
        self.stale[:] = True
        refresh(self)

    monkeypatch.setattr(zopa.Zone, "refresh", rebuild)
    slow = sim.simulate(spec, runs=300, seed=3)
    assert fast.outcomes["agreed"].any() and (fast.history["state"] == "partial").any()
    pd.testing.assert_frame_equal(fast.outcomes, slow.outcomes)
    pd.testing.assert_frame_equal(fast.history, slow.history)


@settings(max_examples=30, deadline=None)
@given(instances(), st.integers(0, 2**32 - 1))
def test_closed_worlds_box_and_blocking_actors_are_those_of_their_current_red_lines(inst, seed):
    """A world whose red lines leave no outcome gets its box and conflicting actors only when a verdict asks
    for them: after its red lines move again (and it stays closed), they are found from the red lines now in
    force, as :func:`common_box` and :func:`redline_conflicts` give them, not from those that first closed it."""
    rng = np.random.default_rng(seed)
    ws = _worlds(inst)
    W = len(inst["r"])
    everyone = np.ones(W, dtype=bool)
    zone = zopa.Zone(ws)
    zone.evaluate(inst["r"], everyone).blocking
    for _ in range(3):
        _move(inst, rng, everyone)
        zone.stale[:] = True
        v = zone.evaluate(inst["r"], everyone)
        closed = ~zone.any_feasible
        a, b = zopa.common_box(inst["red_lo"], inst["red_hi"])
        expect = zopa.redline_conflicts(inst["red_lo"], inst["red_hi"], inst["allowed"], a, b)
        assert np.array_equal(v.blocking[closed], expect[closed])
        assert np.array_equal(zone.box[0][closed], a[closed]) and np.array_equal(zone.box[1][closed], b[closed])


@settings(max_examples=30, deadline=None)
@given(instances(), st.integers(0, 2**32 - 1))
def test_kept_points_are_those_of_the_current_box_weights_and_ideals(inst, seed):
    """With the tables held whole the zone keeps each world's candidate points from its last refresh: in every
    world with some outcome, after red lines, weights and ideals move (the worlds marked stale, as the model
    marks them), they are bit for bit those computed afresh from the current box, weights and ideals."""
    rng = np.random.default_rng(seed)
    ws = _worlds(inst)
    W = len(inst["r"])
    zone = zopa.Zone(ws)
    assume(zone.dense)                  # the LP method and tables built on demand compute the points when asked
    everyone = np.ones(W, dtype=bool)
    zone.evaluate(inst["r"], everyone)
    for _ in range(3):
        where = rng.random(W) < 0.5
        _move(inst, rng, where)
        ws.ideal[where] = np.clip(ws.ideal[where] + rng.normal(0, 0.1, ws.ideal[where].shape), 0, 1)
        ws.span[where] = np.maximum(ws.ideal[where], 1 - ws.ideal[where])
        ws.w_range[where] *= rng.random(ws.w_range[where].shape) + 0.5
        zone.stale |= where
        zone.evaluate(inst["r"], everyone)
        idx = np.flatnonzero(zone.any_feasible)
        a, b = zopa.common_box(ws.red_lo[idx], ws.red_hi[idx])
        ideal = ws.ideal[idx]
        expect = zopa.point_utilities(ws.w_range[idx], ideal, ws.span[idx], zopa.clipped_points(ideal, a, b))
        got = zone.points(idx)
        assert got.shape == expect.shape and np.array_equal(got, expect)
        assert np.array_equal(got.view(np.int64), expect.view(np.int64))
