"""How long the ``zopa`` command takes to start: ``--help``, ``--version`` and ``validate``.

Each command runs in a fresh process (as a person types it), ``--repeat`` times; the table gives the best
wall time (the least disturbed by other work on the machine) and the median, and the modules that the
command did not need and must not have loaded. Target: under a second each.

    python benchmarks/startup.py [--repeat 7] [--zopa .venv/bin/zopa]

With ``--importtime`` it also prints the ten slowest imports of each command (``python -X importtime``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "zopa --help": ["--help"],
    "zopa --version": ["--version"],
    "zopa validate scenarios/december-2022.yaml": ["validate", "scenarios/december-2022.yaml"],
}
HEAVY = ("mesa", "pandas", "pyarrow", "matplotlib", "ema_workbench", "scipy", "SALib")


def _zopa() -> list[str]:
    """The installed ``zopa`` beside this Python, or the one on the path."""
    beside = Path(sys.executable).with_name("zopa")
    found = str(beside) if beside.exists() else shutil.which("zopa")
    if found is None:
        raise SystemExit("found no zopa command: activate the environment (source .venv/bin/activate)")
    return [found]


def wall_times(command: list[str], repeat: int) -> list[float]:
    """Seconds from start to exit of ``command``, ``repeat`` times, in fresh processes."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return times


def heavy_imports(args: list[str]) -> list[str]:
    """The heavy top-level packages that ``zopa ARGS`` imported (read from ``-X importtime``)."""
    slowest = import_times(args)
    return sorted({name.split(".")[0] for name, _ in slowest} & set(HEAVY))


def import_times(args: list[str]) -> list[tuple[str, float]]:
    """``(module, cumulative seconds)`` for every import of ``zopa ARGS``, slowest first."""
    code = "import sys; from zopa.sim.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            rows.append((name.strip(), int(cumulative) / 1e6))
    return sorted(rows, key=lambda r: -r[1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=7, help="runs of each command (default 7)")
    p.add_argument("--zopa", default=None, help="the zopa command to time (default: the one beside this Python)")
    p.add_argument("--importtime", action="store_true", help="also list the ten slowest imports of each")
    args = p.parse_args(argv)
    zopa = [args.zopa] if args.zopa else _zopa()
    print(f"{'command':46s} {'best':>8s} {'median':>8s}  heavy modules loaded")
    floor = wall_times([sys.executable, "-c", "pass"], args.repeat)   # what a loaded machine adds to every row
    print(f"{'python -c pass (the interpreter alone)':46s} {min(floor):7.2f}s {statistics.median(floor):7.2f}s")
    for label, cmd in COMMANDS.items():
        times = wall_times(zopa + cmd, args.repeat)
        heavy = ", ".join(heavy_imports(cmd)) or "none"
        print(f"{label:46s} {min(times):7.2f}s {statistics.median(times):7.2f}s  {heavy}")
        if args.importtime:
            for name, seconds in import_times(cmd)[:10]:
                print(f"    {seconds:6.3f}s  {name}")
    print(f"\nbest and median of {args.repeat} runs each, wall time in fresh processes; target: under 1 s")


if __name__ == "__main__":
    main()
