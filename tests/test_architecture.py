"""docs/explanation/architecture.md matches the tree, and the public face is robust to shadowing."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "explanation" / "architecture.md").read_text()


def _modules() -> set[str]:
    found = set()
    for pkg in ("sim", "analysis"):
        for path in (ROOT / pkg).rglob("*.py"):
            if path.name != "__init__.py":
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_every_module_is_named_on_the_architecture_page():
    named = set(re.findall(r"`((?:sim|analysis)/[\w/]+\.py)`", PAGE))
    missing = sorted(_modules() - named)
    assert not missing, f"modules not described in architecture.md: {missing}"


def test_every_module_the_page_names_exists():
    named = set(re.findall(r"`((?:sim|analysis)/[\w/]+\.py)`", PAGE))
    assert named, "the page names no modules"
    gone = sorted(m for m in named if not (ROOT / m).exists())
    assert not gone, f"architecture.md names modules that do not exist: {gone}"


def test_sim_never_imports_analysis_or_matplotlib():
    offenders = []
    for path in (ROOT / "sim").rglob("*.py"):
        text = path.read_text()
        if re.search(r"^\s*(from|import)\s+(\.\.analysis|zopa\.analysis|analysis|matplotlib)\b", text, re.M):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert not offenders


def test_a_users_own_sim_and_analysis_modules_do_not_shadow_zopa(tmp_path):
    (tmp_path / "analysis.py").write_text("raise SystemExit('the user module was imported')\n")
    (tmp_path / "sim.py").write_text("raise SystemExit('the user module was imported')\n")
    script = tmp_path / "work.py"
    script.write_text("import zopa\n"
                      "s = zopa.load_scenario(%r)\n"
                      "r = zopa.simulate(s, runs=2, seed=0)\n"
                      "print(round(float(r.outcomes['terms.share'][0]), 6), zopa.sweep.__module__)\n"
                      % str(ROOT / "scenarios" / "split-the-pie.yaml"))
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0.5", "zopa.analysis.sweeps"]
