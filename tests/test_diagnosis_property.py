"""Every smallest concession against a direct HiGHS LP per world (tests/reference_diagnosis.py).

For each concession: moving by that amount opens the zone (width >= -1e-9 by the reference LP), and
moving 1e-6 less does not; the amount also equals the reference LP's own minimum.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zopa.sim.engine import diagnosis as dg, redlines as rl
from tests.reference import zopa_width_reference
from tests import reference_diagnosis as ref


@st.composite
def snapshots(draw):
    """2-6 actors, 1-4 issues (range and levels mixed), random red lines, 1-3 worlds."""
    n = draw(st.integers(2, 6))
    m = draw(st.integers(1, 4))
    kc = draw(st.integers(0, m))
    kl = m - kc
    W = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.random((W, n, m)) * (rng.random((W, n, m)) < 0.85) + 1e-3
    w /= w.sum(axis=2, keepdims=True)
    ideal = np.round(rng.random((W, n, kc)) * 4) / 4 if draw(st.booleans()) else rng.random((W, n, kc))
    span = np.maximum(ideal, 1 - ideal)
    red_lo = np.where(rng.random((W, n, kc)) < 0.3, rng.random((W, n, kc)) * 0.6, 0.0)
    red_hi = np.where(rng.random((W, n, kc)) < 0.3, 0.4 + rng.random((W, n, kc)) * 0.6, 1.0)
    sizes = [int(x) for x in rng.integers(2, 5, kl)]
    level_vals = [rng.random((n, s)) for s in sizes]
    allowed = [rng.random((W, n, s)) < 0.75 for s in sizes]
    r = rng.random((W, n)) * draw(st.sampled_from([0.6, 0.9, 1.1]))
    return dg.Snapshot(w[:, :, :kc], w[:, :, kc:], ideal, span, red_lo, red_hi, allowed, level_vals,
                       [tuple(range(s)) for s in sizes], np.zeros(kc), np.ones(kc), r)


def world(snap, i, *, r=None, red_lo=None, red_hi=None, allowed=None):
    """One world's arguments for the references, with any of its parts replaced."""
    return (snap.w_range[i], snap.ideal[i], snap.span[i], snap.red_lo[i] if red_lo is None else red_lo,
            snap.red_hi[i] if red_hi is None else red_hi, snap.w_level[i], snap.level_vals,
            [al[i] for al in snap.allowed] if allowed is None else allowed, snap.r[i] if r is None else r)


def width(snap, i, **parts):
    return zopa_width_reference(*world(snap, i, **parts))


@settings(max_examples=60, deadline=None)
@given(snapshots())
def test_reservation_drops_are_exact(snap):
    """Actor i's drop d opens the zone, d - 1e-6 does not, and d equals HiGHS's min-drop LP."""
    p = dg.programme(snap)
    d = dg.reservation_drops(p)
    for i in range(len(p.t)):
        if p.t[i] >= dg.OPEN:
            assert (d[i] == 0).all()
            continue
        for a in range(d.shape[1]):
            best = ref.min_drops(*world(snap, i), who=[a])
            if not np.isfinite(d[i, a]):
                assert not np.isfinite(best), (a, best)
                continue
            assert abs(d[i, a] - best) <= 1e-9 * max(1.0, best), (d[i, a], best)
            r = snap.r[i].copy()
            r[a] -= d[i, a]
            assert width(snap, i, r=r) >= -1e-9
            r[a] += 1e-6
            assert width(snap, i, r=r) < 0


@settings(max_examples=40, deadline=None)
@given(snapshots())
def test_equal_and_pair_concessions_are_exact(snap):
    """Everyone dropping -t* opens the zone (and 1e-6 less does not); the cheapest pair's total equals
    HiGHS's min of d_i + d_j over every pair, and its split opens the zone."""
    p = dg.programme(snap)
    pairs, k, total, d1, d2 = dg.best_pair(p)
    for i in np.where(np.isfinite(p.t) & (p.t < dg.OPEN))[0]:
        assert width(snap, i, r=snap.r[i] + p.t[i]) >= -1e-9
        assert width(snap, i, r=snap.r[i] + p.t[i] + 1e-6) < 0
        refs = [ref.min_drops(*world(snap, i), who=list(q)) for q in pairs]
        best = min(refs)
        if k[i] < 0:
            assert not np.isfinite(best)
            continue
        assert abs(total[i] - best) <= 1e-9 * max(1.0, best), (total[i], best)
        a, b = pairs[k[i]]
        r = snap.r[i].copy()
        r[a] -= d1[i]
        r[b] -= d2[i]
        assert width(snap, i, r=r) >= -1e-9
        assert abs(d1[i] + d2[i] - total[i]) <= 1e-12 * max(1.0, total[i])


@settings(max_examples=60, deadline=None)
@given(snapshots())
def test_range_red_line_moves_are_exact(snap):
    """Each range red line moved to ``needed`` opens the zone, 1e-6 short of it does not; where it cannot
    alone, removing it leaves the zone closed; ``needed`` equals HiGHS's extreme x_k."""
    p = dg.programme(snap)
    mv = rl.range_moves(snap, p)
    W, n, kc = snap.ideal.shape
    for i in np.where(p.t < dg.OPEN)[0]:
        for a in range(n):
            for k in range(kc):
                for side, arr, edge, step in (("max", "red_hi", 1.0, -1e-6), ("min", "red_lo", 0.0, 1e-6)):
                    if not mv.present[side][i, a, k]:
                        continue
                    need = mv.needed[side][i, a, k]
                    moved = getattr(snap, arr)[i].copy()
                    best = ref.min_bound(*world(snap, i), a, k, side)
                    if np.isnan(need):
                        moved[a, k] = edge
                        assert width(snap, i, **{arr: moved}) < dg.OPEN
                        assert np.isnan(best) or (best - snap.red_hi[i, a, k] if side == "max"
                                                  else snap.red_lo[i, a, k] - best) <= 1e-9
                        continue
                    assert abs(need - best) <= 1e-9, (side, need, best)
                    moved[a, k] = need
                    assert width(snap, i, **{arr: moved}) >= -1e-9
                    moved[a, k] = need + step
                    assert width(snap, i, **{arr: moved}) < 0


@settings(max_examples=60, deadline=None)
@given(snapshots())
def test_levels_red_line_moves_are_exact(snap):
    """Allowing the named level opens the zone; allowing every level fewer steps away does not; where it
    cannot alone, allowing every level leaves the zone closed."""
    p = dg.programme(snap)
    mv = rl.level_moves(snap, p)
    W, n, _ = snap.ideal.shape
    for i in np.where(p.t < dg.OPEN)[0]:
        for a in range(n):
            for j in range(len(snap.allowed)):
                if not mv.present[i, a, j]:
                    continue
                allowed = [al[i].copy() for al in snap.allowed]
                dist = rl.level_distance(allowed[j][a])
                steps = mv.steps[i, a, j]
                if not np.isfinite(steps):
                    allowed[j][a] = True
                    assert width(snap, i, allowed=allowed) < dg.OPEN
                    continue
                near = [al.copy() for al in allowed]
                near[j][a] = dist <= steps - 1
                assert width(snap, i, allowed=near) < dg.OPEN
                allowed[j][a, mv.level[i, a, j]] = True
                assert dist[mv.level[i, a, j]] == steps
                assert width(snap, i, allowed=allowed) >= dg.OPEN


@settings(max_examples=40, deadline=None)
@given(snapshots())
def test_coalition_widths_equal_the_reference(snap):
    """Each coalition's width equals HiGHS's on its members alone, with their red lines only."""
    coalitions = dg.subsets(snap.ideal.shape[1])
    widths = dg.coalition_widths(snap, coalitions)
    for q, c in enumerate(coalitions):
        sub = snap.actors(c)
        for i in range(widths.shape[0]):
            expect = zopa_width_reference(*world(sub, i))
            assert (widths[i, q] == expect) if np.isinf(expect) else abs(widths[i, q] - expect) <= 1e-9


@settings(max_examples=40, deadline=None)
@given(snapshots(), st.booleans())
def test_range_moves_of_red_lines_held_nowhere_are_skipped_not_changed(snap, moves):
    """Red lines no world holds are not looked at; every table is, bit for bit, that of each red line's move
    and weight computed one by one and blanked (NaN) where the red line is not held."""
    p = dg.programme(snap)
    got = rl.range_moves(snap, p, moves=moves)
    W, n, kc = snap.ideal.shape
    at = p.slack[np.arange(W), p.combo]
    active = at <= np.where(np.isfinite(p.t), p.t, 0.0)[:, None] + 1e-12
    for k in range(kc):
        feas = rl._others_feasible(snap, p, k) if moves else None
        const = p.slack - p.S[:, None, :, k] if moves else None
        for i in range(n):
            for side, upper in (("max", True), ("min", False)):
                nd, wt = rl._one_side(snap, p, k, i, upper, feas, const, active, moves)
                held = got.present[side][:, i, k]
                for name, want in (("needed", nd), ("weight", wt)):
                    expect = np.where(held, want, np.nan)
                    assert np.array_equal(getattr(got, name)[side][:, i, k], expect, equal_nan=True)
                    assert np.array_equal(np.isnan(getattr(got, name)[side][:, i, k]), np.isnan(expect))


@settings(max_examples=40, deadline=None)
@given(snapshots())
def test_levels_weights_alone_are_those_found_with_the_moves(snap):
    """Asked for the weights alone, levels red lines no world holds are not looked at: the weights are, bit for
    bit, those found with the moves (where every red line is looked at)."""
    p = dg.programme(snap)
    full, alone = rl.level_moves(snap, p), rl.level_moves(snap, p, moves=False)
    assert np.array_equal(full.present, alone.present)
    assert np.array_equal(full.weight, alone.weight, equal_nan=True)
    assert (alone.level == -1).all() and np.isnan(alone.steps[alone.present]).sum() == 0
