"""The engine benchmark's fast path here and at an earlier commit, run in rotation on this machine.

A figure in seconds is a property of the code, the scenario and the machine's state when it was taken: the
same commit and scenario can take twice as long on a busier or slower day. A target such as "within 20% of
the figure at commit X" is therefore checked by running both now, each on its own ``december-2022`` (the
scenario as it was at that commit), in separate processes, in rotation, and comparing.

    python benchmarks/against.py 115057b [--worlds 10000] [--rounds 6] [--repeat 2] [--scenario PATH]

The earlier commit is exported with ``git archive`` into a temporary folder and imported from there; both
run in this environment's Python and packages, on one core. Each process times ``simulate()`` with deals
and tables, as ``benchmarks/engine.py`` does (wall-clock, best of ``--repeat``), and reports its processor
seconds too; each figure printed is the best over the rounds, and the ratios are of those bests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_CORE = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
TIME_ONE = """
import sys, time
from zopa import sim
s = sim.load_scenario(sys.argv[1])
sim.simulate(s, runs=200, seed=1, history=False)
wall = cpu = float("inf")
for _ in range(int(sys.argv[3])):
    t0, c0 = time.perf_counter(), time.process_time()
    sim.simulate(s, runs=int(sys.argv[2]), seed=1, history=False)
    wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
print(wall, cpu, sim.__file__)
"""


def export(rev: str, into: Path) -> Path:
    """The files of commit ``rev``, exported under ``into``."""
    into.mkdir(parents=True)
    tar = into / "tree.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(tar), rev], check=True)
    tree = into / "tree"
    with tarfile.open(tar) as t:
        t.extractall(tree, filter=_in_tree)
    return tree


def _in_tree(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """The archive's files as ``tarfile``'s data filter takes them, leaving out links that point outside the
    tree (no code is there)."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def importable(tree: Path, into: Path) -> Path:
    """A folder to put first on ``PYTHONPATH`` so that ``zopa``, ``zopa.sim`` and ``zopa.analysis`` are
    ``tree``'s: the package folder with its two sub-packages linked in."""
    pkg = into / "zopa"
    pkg.mkdir(parents=True)
    for f in (tree / "zopa").iterdir():
        (pkg / f.name).symlink_to(f)
    for sub in ("sim", "analysis"):
        (pkg / sub).symlink_to(tree / sub)
    return into


def time_one(path: Path, scenario: Path, worlds: int, repeat: int) -> tuple[float, float]:
    env = {**os.environ, **ONE_CORE, "PYTHONPATH": str(path)}
    run = subprocess.run([sys.executable, "-c", TIME_ONE, str(scenario), str(worlds), str(repeat)], env=env,
                         capture_output=True, text=True, cwd=path)     # not a folder with a zopa of its own
    if run.returncode:
        raise RuntimeError(f"timing the code under {path} failed:\n{run.stderr}")
    out = run.stdout.split()
    if not out[2].startswith(str(path)):
        raise RuntimeError(f"timed {out[2]}, not the code under {path}")
    return float(out[0]), float(out[1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rev", help="the earlier commit (hash, tag or branch)")
    p.add_argument("--worlds", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--scenario", default="scenarios/december-2022.yaml", help="relative to each tree")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        trees = {"here": ROOT, args.rev: export(args.rev, tmp / "old")}
        paths = {k: importable(t, tmp / f"path-{i}") for i, (k, t) in enumerate(trees.items())}
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in trees}
        for _ in range(args.rounds):
            for k in trees:
                runs[k].append(time_one(paths[k], trees[k] / args.scenario, args.worlds, args.repeat))
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
    here, old = best["here"], best[args.rev]
    per_round = [h[0] / o[0] for h, o in zip(runs["here"], runs[args.rev])]
    print(f"{args.scenario}, {args.worlds} worlds, {args.rounds} rounds in rotation, best of {args.repeat} a run")
    for k, (w, c) in best.items():
        print(f"  {k:>10}: {w:.2f} s wall-clock, {c:.2f} s processor")
    print(f"  ratio here / {args.rev}: {here[0] / old[0]:.2f} wall-clock, {here[1] / old[1]:.2f} processor "
          f"(round by round, wall-clock: median {statistics.median(per_round):.2f}, "
          f"{min(per_round):.2f} to {max(per_round):.2f})")


if __name__ == "__main__":
    main()
