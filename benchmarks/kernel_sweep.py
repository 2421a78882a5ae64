"""A sweep in a Jupyter kernel against the same sweep run serially in that kernel.

Starts a real kernel from this interpreter (a kernelspec in a temporary directory), then, in it, runs
a grid over Russia's erosion (december-2022) with ``executor="serial"``, the default executor (serial
in a kernel, with a note) and ``executor="processes"`` (a fork-server pool sharing the chunks with the
kernel), back to back, ``--repeat`` times. The first round includes the fork server's start (it imports
zopa once per kernel); later rounds use the running server. Prints one line per round with the ratios
to serial.

    python benchmarks/kernel_sweep.py [--points 6] [--runs 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

CELL = '''
import time, zopa
VARY = {{"actors.russia.erosion": [round(0.01 * (i + 1), 3) for i in range({points})]}}
for rep in range({repeat}):
    secs = {{}}
    for name, kw in (("serial", dict(executor="serial")), ("default", {{}}), ("processes", dict(executor="processes"))):
        t = time.perf_counter()
        got = zopa.sweep("scenarios/december-2022.yaml", VARY, runs={runs}, seed=1, progress=False, **kw)
        secs[name] = time.perf_counter() - t
        assert got.points.equals(got.points if name == "serial" else base.points)
        base = got if name == "serial" else base
    print(f"round {{rep + 1}}: serial {{secs['serial']:.2f}} s; default {{secs['default']:.2f}} s "
          f"(ratio {{secs['default'] / secs['serial']:.2f}}); processes {{secs['processes']:.2f}} s "
          f"(ratio {{secs['processes'] / secs['serial']:.2f}})")
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=6)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "zopa-bench"
        spec.mkdir()
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "zopa (benchmark)", "language": "python"}))
        km = KernelManager(kernel_name="zopa-bench", kernel_spec_manager=KernelSpecManager(kernel_dirs=[tmp]))
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL.format(**vars(args)))])
        NotebookClient(nb, km=km, timeout=3600, resources={"metadata": {"path": str(ROOT)}}).execute()
    for out in nb.cells[0].outputs:
        print(out.get("text", ""), end="")


if __name__ == "__main__":
    main()
