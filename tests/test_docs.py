"""Every code block in README.md and docs/ runs (conventions: docs/reference/docs-conventions.md).

```python blocks run in order, one fresh namespace per file, from the repository root. ```console blocks
run each `$ zopa ...` line through sim.cli.main and expect exit 0, or the code in a preceding
`<!-- exit: N -->` comment; `<!-- output: exact -->` requires the block's first output line in the output.
Blocks marked no-run (```python no-run, ```console no-run) are skipped.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^`]*)$")
MARK = re.compile(r"^<!--\s*(?P<key>exit|output):\s*(?P<value>\S+)\s*-->$")


@dataclass
class Block:
    file: Path
    index: int
    lang: str
    flags: tuple[str, ...]
    line: int
    code: str
    marks: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def blocks_of(path: Path) -> list[Block]:
    """Fenced blocks of a Markdown file, with the HTML-comment marks just above each."""
    out: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    marks: dict = {}
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m and m["info"].strip():
            info = m["info"].split()
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i][len(m["indent"]):])
                i += 1
            out.append(Block(path, len(out), info[0], tuple(info[1:]), start, "\n".join(body) + "\n", marks))
            marks = {}
        elif mark := MARK.match(lines[i].strip()):
            marks = {**marks, mark["key"]: mark["value"]}
        elif lines[i].strip():
            marks = {}
        i += 1
    return out


def doc_files() -> list[Path]:
    files = [ROOT / "README.md"] if (ROOT / "README.md").exists() else []
    return files + sorted((ROOT / "docs").rglob("*.md"))


def _runnable(b: Block) -> bool:
    if "no-run" in b.flags:
        return False
    return b.lang == "python" or (b.lang == "console" and "$ zopa " in b.code)


FILES = [f for f in doc_files() if any(_runnable(b) for b in blocks_of(f))]


def _run_console(block: Block, capsys) -> None:
    from zopa.sim.cli import main

    commands, outputs = [], []
    for line in block.code.splitlines():
        if line.startswith("$ "):
            commands.append(line[2:])
        elif commands and line.strip():
            outputs.append(line)
    expected = int(block.marks.get("exit", 0))
    printed = ""
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "zopa", f"{block.id}: only zopa commands run, found {command!r}"
        capsys.readouterr()
        try:
            code = main(argv[1:])
        except SystemExit as exc:  # argparse: bad usage
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        printed += out + err
        assert code == expected, f"{block.id}: `{command}` exited {code}, expected {expected}\n{out}{err}"
        assert "Traceback" not in out + err
    if block.marks.get("output") == "exact" and outputs:
        assert outputs[0].strip() in printed, f"{block.id}: {outputs[0]!r} not in the output:\n{printed}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_blocks_run(path, monkeypatch, capsys, tmp_path):
    """Blocks of one file share a namespace and run in order; failures name file and line."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": f"doc_{path.stem}"}
    for block in blocks_of(path):
        if not _runnable(block):
            continue
        if block.lang == "python":
            try:
                exec(compile(block.code, block.id, "exec"), namespace)
            except Exception as exc:
                pytest.fail(f"{block.id}: {type(exc).__name__}: {exc}")
        else:
            _run_console(block, capsys)
    import matplotlib.pyplot as plt
    plt.close("all")


def test_block_parser_reads_flags_and_marks(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("<!-- exit: 1 -->\n<!-- output: exact -->\n```console\n$ zopa validate x\nout\n```\n\n"
                    "```python no-run\nboom()\n```\n")
    first, second = blocks_of(page)
    assert first.marks == {"exit": "1", "output": "exact"} and first.lang == "console"
    assert second.flags == ("no-run",) and not _runnable(second)


def _summary_lines(text: str) -> list[str]:
    """The lines of a printed run summary that do not depend on where results are saved."""
    return [line.rstrip() for line in text.splitlines() if line.strip() and not line.startswith("Results saved")]


@pytest.mark.parametrize("doc, runs", [("README.md", 5000), ("docs/tutorial.md", 200)])
def test_the_run_summaries_shown_are_what_zopa_run_prints(doc, runs, capsys, tmp_path, monkeypatch):
    """The summary of december-2022 that the README and the tutorial show, line for line as `zopa run`
    prints it with the same worlds and seed (their blocks are text, not run, so nothing else checks them)."""
    from zopa.sim.cli import main

    monkeypatch.chdir(ROOT)
    shown = next(b for b in blocks_of(ROOT / doc)
                 if b.lang in ("console", "text") and f"{runs:,} worlds, seed 2022" in b.code)
    expected = _summary_lines("\n".join(line for line in shown.code.splitlines() if not line.startswith("$ ")))
    capsys.readouterr()
    assert main(["run", "scenarios/december-2022.yaml", "--runs", str(runs), "--seed", "2022",
                 "--out", str(tmp_path / "out")]) == 0
    printed = _summary_lines(capsys.readouterr().out)
    missing = [line for line in expected if line not in printed]
    assert not missing, f"{shown.id}: not printed by zopa run:\n" + "\n".join(missing)
    assert len(expected) >= 15
