"""``zopa why`` against the run itself, on december-2022.

Times ``sim.why`` (step the worlds to the round asked for, then the exact diagnosis: what binds, every
smallest concession, the cheapest pair, every coalition, ripeness) against ``sim.simulate`` of the same
worlds to the horizon (what ``zopa run`` does), at round 0 (the scenario as written), mid-way and at the
horizon. One core (BLAS threads pinned to 1). Target: under 5x the run.

    python benchmarks/why.py [--worlds 10000] [--repeat 3]
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zopa import sim  # noqa: E402


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default=str(ROOT / "scenarios" / "december-2022.yaml"))
    p.add_argument("--worlds", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    s = sim.load_scenario(args.scenario)
    n = args.worlds
    run = best_of(args.repeat, lambda: sim.simulate(s, runs=n, seed=1, history=True))
    print(f"scenario {s.name}: {len(s.actors)} actors, {len(s.issues)} issues, {s.horizon + 1} rounds, {n} worlds")
    print(f"run (simulate to the horizon, with history): {run:.2f} s (best of {args.repeat})")
    for label, rnd in (("round 0", 0), (f"round {s.horizon // 2}", s.horizon // 2), (f"round {s.horizon}", s.horizon)):
        t = best_of(args.repeat, lambda: sim.why(s, round=rnd, runs=n, seed=1))
        print(f"why at {label:10s}: {t:6.2f} s = {t / run:4.2f}x the run")


if __name__ == "__main__":
    main()
