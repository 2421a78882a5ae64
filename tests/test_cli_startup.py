"""The ``zopa`` command starts without the heavy libraries, and ``import zopa`` loads them only on use.

Which modules a command imports is checked, never how long it takes (that is benchmarks/startup.py's job).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "mesa", "matplotlib", "pyarrow", "ema_workbench", "scipy", "SALib", "sklearn", "networkx")


def _loaded_after(code: str) -> list[str]:
    """The heavy top-level packages in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = (f"import sys\n{code}\n"
             f"print('\\n' + __import__('json').dumps(sorted({{m.split('.')[0] for m in sys.modules}} & "
             f"set({HEAVY!r}))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _command(*argv: str) -> str:
    return ("from zopa.sim.cli import main\n"
            f"try:\n    main({list(argv)!r})\nexcept SystemExit:\n    pass")


@pytest.mark.parametrize("argv", [("--help",), ("--version",), ("run", "--help"), ("sweep", "--help")])
def test_help_and_version_import_no_heavy_library(argv):
    assert _loaded_after(_command(*argv)) == []


def test_validate_and_explain_import_no_heavy_library():
    assert _loaded_after(_command("validate", "scenarios/december-2022.yaml")) == []
    assert _loaded_after(_command("explain", "scenarios/december-2022.yaml")) == []


def test_import_zopa_is_light_and_names_load_on_use():
    assert _loaded_after("import zopa") == []
    loaded = _loaded_after("import zopa\nassert callable(zopa.simulate) and zopa.plots.__name__ == 'zopa.analysis.plots'")
    assert "mesa" in loaded and "matplotlib" in loaded


def test_lazy_names_are_the_same_objects_as_their_homes():
    import zopa
    from zopa import analysis, sim
    from zopa.analysis import sweeps
    from zopa.sim import results

    import zopa.sim.simulate  # noqa: F811 - the module, whose import must not rebind sim.simulate
    simulate = sys.modules["zopa.sim.simulate"]
    assert zopa.simulate is simulate.simulate and sim.simulate is simulate.simulate
    assert zopa.Results is results.Results and zopa.sweep is sweeps.sweep and analysis.Sweep is sweeps.Sweep
    assert set(zopa.__all__) <= set(dir(zopa)) and set(sim.__all__) <= set(dir(sim))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        sim.nothing


def test_sim_why_stays_the_function_once_its_module_is_imported():
    """``sim/why.py`` is imported by ``simulate``; the package attribute ``why`` must stay the function."""
    code = ("import zopa.sim.simulate\nfrom zopa import sim\nimport zopa.sim.why\n"
            "assert callable(sim.why) and sim.why.__module__ == 'zopa.sim.why', sim.why\n"
            "assert callable(sim.simulate) and sim.simulate.__module__ == 'zopa.sim.simulate', sim.simulate\n"
            "assert sim.Why.__name__ == 'Why'")
    _loaded_after(code)


def test_version():
    done = subprocess.run([sys.executable, "-m", "zopa", "--version"], cwd=ROOT, capture_output=True, text=True)
    from zopa import __version__
    assert done.returncode == 0 and done.stdout.strip() == f"zopa {__version__}"


def test_startup_benchmark_reports_every_command(tmp_path):
    """benchmarks/startup.py measures the three commands and names the heavy modules each loaded."""
    done = subprocess.run([sys.executable, "benchmarks/startup.py", "--repeat", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = {line.split("  ")[0].strip(): line for line in done.stdout.splitlines()}
    for command in ("zopa --help", "zopa --version", "zopa validate scenarios/december-2022.yaml"):
        assert command in rows and rows[command].rstrip().endswith("none"), done.stdout
