"""Does a deal in the December 2022 scenario depend more on Russia's erosion or on US aid?

Sweeps Russia's erosion (utility lost per month of war) against the United States' reservation while
aid flows (what backing Ukraine without a deal is worth to the US before February 2025) and draws
the chance of a deal by the horizon over the grid.

    python docs/examples/sweep_erosion_vs_aid.py                       # 8 x 8 points, 1000 worlds each
    python docs/examples/sweep_erosion_vs_aid.py --runs 20 --steps 3   # a quick look
    ZOPA_EXAMPLE_RUNS=20 python docs/examples/sweep_erosion_vs_aid.py  # the same, for test suites
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from zopa import analysis
from zopa.analysis import sweep_plots

ROOT = Path(__file__).resolve().parents[2]
EROSION = "actors.russia.erosion"
AID = "actors.united_states.reservation"


def run(runs: int, steps: int, out: Path, workers: int | None = None) -> analysis.Sweep:
    vary = {EROSION: [float(v) for v in np.linspace(0.001, 0.01, steps)],
            AID: [float(v) for v in np.linspace(0.2, 0.5, steps)]}
    swept = analysis.sweep(ROOT / "scenarios" / "december-2022.yaml", vary, runs=runs, seed=2022,
                           workers=workers, out=out / "sweep")
    fig = sweep_plots.heatmap(swept, EROSION, AID, "p_deal")
    fig.savefig(out / "erosion-vs-aid.png", dpi=110)
    return swept


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=int(os.environ.get("ZOPA_EXAMPLE_RUNS", 1000)))
    p.add_argument("--steps", type=int, default=int(os.environ.get("ZOPA_EXAMPLE_STEPS", 8)))
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--out", type=Path, default=ROOT / "results" / "erosion-vs-aid")
    args = p.parse_args()
    swept = run(args.runs, args.steps, args.out, args.workers)
    best = swept.points.loc[swept.points["p_deal"].idxmax()]
    print(f"highest chance of a deal: {best['p_deal']:.0%} at erosion {best[EROSION]:.4f}/month "
          f"and US reservation {best[AID]:.2f}")
    print(f"figure: {args.out / 'erosion-vs-aid.png'}")


if __name__ == "__main__":
    main()
