"""docs/notebook.ipynb runs in a real Jupyter kernel, and shows what a notebook user should see.

The kernel is this test's own Python (a kernelspec written to a temporary directory), so nothing is
installed globally and the notebook runs against the code under test. Figures must come back as PNG
images, and scenarios, results and sweeps as short reprs with an HTML summary table.
"""

from __future__ import annotations

import base64
import json
import struct
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat")
nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
PNG = b"\x89PNG\r\n\x1a\n"


def kernel_manager(directory: Path) -> KernelManager:
    """A kernel started from this interpreter, through a kernelspec that lives in ``directory``."""
    spec = directory / "zopa-test"
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "zopa (tests)", "language": "python"}))
    return KernelManager(kernel_name="zopa-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(directory)]))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    km = kernel_manager(tmp_path_factory.mktemp("kernels"))
    nbclient.NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return nb


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _value(cell) -> dict:
    """The data of the cell's value (its execute_result)."""
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1, f"cell {cell.source!r} has {len(results)} values"
    return results[0]["data"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG), "not a PNG"
    return struct.unpack(">II", data[16:24])   # the IHDR chunk: width, height


def test_figure_cells_show_png_images(executed):
    figures = [c for c in _code(executed) if "figure" in c.metadata.get("tags", [])]
    assert len(figures) == 2
    for cell in figures:
        data = _value(cell)
        assert "image/png" in data, f"{cell.source!r} shows only {sorted(data)}"
        width, height = _png_size(base64.b64decode(data["image/png"]))
        assert width > 300 and height > 200


@pytest.mark.parametrize("name, kind", [("scenario", "Scenario"), ("results", "Results"), ("swept", "Sweep")])
def test_objects_show_a_short_repr_and_a_summary_table(executed, name, kind):
    cell = next(c for c in _code(executed) if c.source.rstrip().endswith("\n" + name))
    data = _value(cell)
    assert data["text/plain"].startswith(f"{kind}('december-2022'") and len(data["text/plain"]) < 200
    assert "<table>" in data["text/html"] and "</table>" in data["text/html"]
    assert len(data["text/html"]) < 4000, "the HTML view should summarise, not show the tables"


def test_no_warnings_or_errors_in_the_notebook(executed):
    for cell in _code(executed):
        for out in cell.outputs:
            assert out.output_type != "error", out
            if out.output_type == "stream" and out.name == "stderr":
                assert "Warning" not in out.text, f"{cell.source!r} warned: {out.text}"


def test_the_sweep_shows_a_progress_widget(executed):
    """ipywidgets is installed with the test extra, so the bar is tqdm's notebook widget, not text."""
    cell = next(c for c in _code(executed) if "zopa.sweep(" in c.source)
    kinds = {k for o in cell.outputs if o.output_type == "display_data" for k in o["data"]}
    assert "application/vnd.jupyter.widget-view+json" in kinds
