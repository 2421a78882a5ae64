"""What each outcome kind costs on december-2022: the scenario as shipped against itself without its partial
deal, its relapse, its guarantees issue, and without all three.

Each variant is written from the scenario file (the key removed, nothing else changed; without the guarantees
issue, every actor's position on it and relapse's guarantee factor go too) and run in its own process, on
one core, in processor seconds (steadier than wall-clock time on a shared machine). The variants are run in
rotation and each figure is the best of its rounds.

    python benchmarks/outcome_kinds.py [--worlds 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "december-2022.yaml"
ONE_CORE = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
TIME_ONE = """
import sys, time
sys.path.insert(0, sys.argv[3])
from zopa import sim
s = sim.load_scenario(sys.argv[1])
sim.simulate(s, runs=200, seed=1, history=False)
t = time.process_time()
sim.simulate(s, runs=int(sys.argv[2]), seed=1, history=False)
print(time.process_time() - t)
"""


def _drop_issue(data: dict, issue: str) -> None:
    """Remove a levels issue and every mention of it by name under the actors and the events."""
    def strip(node):
        if isinstance(node, dict):
            node.pop(issue, None)
            for v in node.values():
                strip(v)
        elif isinstance(node, list):
            for v in node:
                strip(v)
    del data["issues"][issue]
    strip(data["actors"])
    strip(data.get("events", []))
    if "relapse" in data:
        data["relapse"].pop("guarantee", None)


def variants(data: dict) -> dict[str, dict]:
    """The scenario without each outcome kind, and without all of them."""
    out = {"as shipped": data}
    for label, drop in (("without the partial deal", ("partial_deals",)), ("without relapse", ("relapse",)),
                        ("without the guarantees issue", ("guarantees",)),
                        ("without all three", ("partial_deals", "relapse", "guarantees"))):
        v = copy.deepcopy(data)
        for key in drop:
            if key == "guarantees":
                _drop_issue(v, key)
            else:
                v.pop(key)
        out[label] = v
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worlds", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=3, help="rotations; each figure is the best of them")
    args = p.parse_args(argv)
    data = yaml.safe_load(SCENARIO.read_text())
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for k, (label, v) in enumerate(variants(data).items()):
            files[label] = Path(tmp) / f"variant-{k}.yaml"
            files[label].write_text(yaml.safe_dump(v, sort_keys=False))
        for _ in range(args.rounds):
            for label, path in files.items():
                run = subprocess.run([sys.executable, "-c", TIME_ONE, str(path), str(args.worlds), str(ROOT)],
                                     capture_output=True, text=True, check=True, env={**os.environ, **ONE_CORE})
                best[label] = min(best.get(label, float("inf")), float(run.stdout.split()[-1]))
    base = best["without all three"]
    print(f"december-2022, {args.worlds:,} worlds, 121 rounds, processor seconds, best of {args.rounds}")
    print("| variant | seconds | against none of them |")
    print("|---|---:|---:|")
    for label, sec in best.items():
        print(f"| {label} | {sec:.2f} | {sec / base:.2f}x |")


if __name__ == "__main__":
    main()
