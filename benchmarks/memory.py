"""Peak memory of a run with the history held, streamed to Parquet, or not kept (one subprocess each).

    python benchmarks/memory.py SCENARIO WORLDS {none,memory,stream} [--seed N]

Prints the mode, worlds, seconds and peak resident memory (``resource.getrusage``'s ``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario")
    p.add_argument("worlds", type=int)
    p.add_argument("mode", choices=["none", "memory", "stream"])
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from zopa import sim

    s = sim.load_scenario(args.scenario)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = sim.simulate(s, runs=args.worlds, seed=args.seed, history=args.mode != "none", progress=False,
                           history_path=Path(tmp) / "h.parquet" if args.mode == "stream" else None)
        seconds = time.perf_counter() - t0
        size = (Path(tmp) / "h.parquet").stat().st_size if args.mode == "stream" else 0
        rows = len(res.history) if res.history is not None else 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{Path(args.scenario).stem}, {args.worlds:,} worlds, history {args.mode}: {seconds:.1f} s, "
          f"peak {peak:,.0f} MB" + (f", {rows:,} rows held" if rows else "")
          + (f", file {size / 2**20:,.0f} MB" if size else ""))


if __name__ == "__main__":
    main()
