"""Safe YAML reading that remembers the line of every key (the only code that sees YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, ScenarioError

__all__ = ["read_yaml", "parse_value", "LineMap"]

LineMap = dict[tuple, int]


def _walk(node: yaml.Node, path: tuple, lines: LineMap) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), lines)


def read_yaml(path: str | Path) -> tuple[Any, LineMap]:
    """Read a YAML file with a safe loader; return its data and a map key-path -> line.

    Tags such as ``!!python/object`` are rejected (never executed); syntax errors
    become a :class:`ScenarioError` naming the file and line.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(name, None, "", f"cannot read file: {exc.strerror}")]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem(name, line, "", f"invalid YAML: {problem}")]) from None
    finally:
        loader.dispose()
    lines: LineMap = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def parse_value(text: str) -> Any:
    """Parse one ``--set`` value as YAML (so ``0.02``, ``[1, 2]`` and ``{uniform: [0, 1]}`` work)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text
