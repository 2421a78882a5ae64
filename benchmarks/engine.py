"""Engine speed: the vectorised ensemble against the naive path, on december-2022.

The fast path steps every world at once with the exact dual-vertex ZOPA. The naive path is what one
would write first: one Mesa model per world, and scipy's HiGHS (``milp``: levels as binaries) for the
ZOPA, every round. Both run on one core (BLAS threads pinned to 1).

    python benchmarks/engine.py [--worlds 10000] [--naive-worlds 200] [--repeat 3]
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zopa import sim  # noqa: E402
from zopa.sim.engine import solver as zopa  # noqa: E402
from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: E402


def milp_width(wd, r) -> float:
    """One world's ZOPA width as one mixed-integer LP (HiGHS): levels as one-hot binaries, red lines as
    constraints, |x - ideal| by two inequalities per actor and issue. Infeasible red lines: -inf."""
    n, kc = wd.w_range.shape[1:]
    sizes = [len(lv) for lv in wd.levels]
    nz = sum(sizes)
    nv = kc + n * kc + nz + 1
    rows, lo, hi = [], [], []

    def add(row, a, b):
        rows.append(row), lo.append(a), hi.append(b)

    for i in range(n):
        row = np.zeros(nv)
        row[-1] = 1.0
        row[kc + i * kc: kc + (i + 1) * kc] = -wd.w_range[0, i]
        off = kc + n * kc
        for j, size in enumerate(sizes):
            row[off: off + size] = -wd.w_level[0, i, j] * wd.level_vals[j][i]
            off += size
        add(row, -np.inf, -r[i])
        for k in range(kc):
            for sign in (1.0, -1.0):
                row = np.zeros(nv)
                row[kc + i * kc + k] = 1.0
                row[k] = sign / wd.span[0, i, k]
                add(row, -np.inf, 1.0 + sign * wd.ideal[0, i, k] / wd.span[0, i, k])
            row = np.zeros(nv)
            row[k] = 1.0
            add(row, wd.red_lo[0, i, k], wd.red_hi[0, i, k])
    off = kc + n * kc
    for j, size in enumerate(sizes):
        row = np.zeros(nv)
        row[off: off + size] = 1.0
        add(row, 1.0, 1.0)
        for i in range(n):
            row = np.zeros(nv)
            row[off: off + size] = ~wd.allowed[j][0, i]
            add(row, 0.0, 0.0)
        off += size
    c = np.zeros(nv)
    c[-1] = -1.0
    integrality = np.zeros(nv)
    integrality[kc + n * kc: kc + n * kc + nz] = 1
    bounds = Bounds(np.r_[wd.lo, np.full(n * kc, -np.inf), np.zeros(nz), -np.inf],
                    np.r_[wd.hi, np.ones(n * kc), np.ones(nz), np.inf])
    res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi), integrality=integrality, bounds=bounds)
    return -res.fun if res.status == 0 else -np.inf


class NaiveModel(sim.NegotiationModel):
    """One world, the ZOPA width from one mixed-integer LP (scipy's HiGHS) every round it negotiates."""

    def _evaluate(self) -> None:
        # the zone is evaluated only while the world negotiates (a settled world is closed until it relapses)
        self.naive_widths.append(milp_width(self.worlds, self.reservations()[0]) if self.active[0] else None)
        super()._evaluate()


def fast(scenario, worlds: int, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        sim.simulate(scenario, runs=worlds, seed=1, history=False)
        best = min(best, time.perf_counter() - t0)
    return best


def naive(scenario, worlds: int) -> tuple[float, float]:
    """Seconds for ``worlds`` one-world models with an LP every round; and the largest disagreement."""
    NaiveModel.naive_widths = None
    t0 = time.perf_counter()
    worst = 0.0
    for w in range(worlds):
        m = NaiveModel.__new__(NaiveModel)
        m.naive_widths = []
        m.__init__(scenario, runs=1, rng=np.random.SeedSequence(1, spawn_key=(w,)))
        while m.running:
            m.step()
        live = np.array([v is not None for v in m.naive_widths])
        ours = np.array([h["zopa_width"][0] for h in m.history])[live]
        ref = np.array([v for v in m.naive_widths if v is not None])
        both = np.isfinite(ref) & np.isfinite(ours)
        assert (np.isinf(ref) == np.isinf(ours)).all()
        worst = max(worst, float(np.abs(ref[both] - ours[both]).max(initial=0.0)))
    return time.perf_counter() - t0, worst


def zopa_only(scenario, worlds: int) -> float:
    """Seconds for the exact ZOPA alone (every world, every round, no deals)."""
    m = sim.NegotiationModel(scenario, runs=worlds, rng=1)
    active = np.ones(worlds, dtype=bool)
    t0 = time.perf_counter()
    for _ in range(scenario.horizon + 1):
        m.zone.evaluate(m.reservations(), active)
    return time.perf_counter() - t0


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default=str(ROOT / "scenarios" / "december-2022.yaml"))
    p.add_argument("--worlds", type=int, default=10_000)
    p.add_argument("--naive-worlds", type=int, default=200)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    s = sim.load_scenario(args.scenario)
    rounds = s.horizon + 1
    t_fast = fast(s, args.worlds, args.repeat)
    t_naive, worst = naive(s, args.naive_worlds)
    per_fast = t_fast / args.worlds
    per_naive = t_naive / args.naive_worlds
    print(f"scenario {s.name}: {len(s.actors)} actors, {len(s.issues)} issues, {rounds} rounds, protocol {s.protocol}")
    print(f"fast path : {args.worlds} worlds in {t_fast:.2f} s  = {args.worlds / t_fast:,.0f} worlds/s "
          f"(best of {args.repeat}; simulate() with deals and tables, one core)")
    print(f"  of which the exact ZOPA alone: {zopa_only(s, args.worlds):.2f} s for {args.worlds} x {rounds}")
    print(f"naive path: {args.naive_worlds} worlds in {t_naive:.1f} s = {args.naive_worlds / t_naive:,.1f} worlds/s "
          f"(one Mesa model and {rounds} rounds of HiGHS per world)")
    print(f"speed-up  : {per_naive / per_fast:,.0f}x per world; largest |width difference| {worst:.1e}")


if __name__ == "__main__":
    main()
