"""Safe YAML reading that remembers the line of every key (the only code that sees YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, ScenarioError

__all__ = ["read_yaml", "parse_yaml", "dump_yaml", "parse_value", "LineMap"]

LineMap = dict[tuple, int]
# Aliases can make a short file expand to billions of nodes; a scenario has a few thousand at most.
MAX_NODES = 100_000


class _Walk:
    """Map key paths to lines and nodes to paths; reject cyclic or exploding aliases."""

    def __init__(self, name: str):
        self.name = name
        self.lines: LineMap = {}
        self.paths: dict[tuple[int, int], tuple] = {}
        self.count = 0
        self.duplicates: list[Problem] = []

    def __call__(self, node: yaml.Node, path: tuple, parents: frozenset = frozenset()) -> None:
        self.count += 1
        if id(node) in parents or self.count > MAX_NODES:
            what = "a recursive alias" if id(node) in parents else f"more than {MAX_NODES} values (aliases)"
            raise ScenarioError([Problem(self.name, node.start_mark.line + 1, ".".join(map(str, path)),
                                         f"found {what}, expected plain scenario data")])
        self.lines.setdefault(path, node.start_mark.line + 1)
        self.paths.setdefault((node.start_mark.line, node.start_mark.column), path)
        parents = parents | {id(node)}
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "<complex key>"
                if path + (key,) in self.lines and key != "<complex key>":
                    self.duplicates.append(Problem(self.name, key_node.start_mark.line + 1,
                                                   ".".join(map(str, path + (key,))),
                                                   f"found key {key!r} twice, expected each key once"))
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                self(value_node, path + (key,), parents)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[path + (i,)] = item.start_mark.line + 1
                self(item, path + (i,), parents)


# libyaml's parser when PyYAML was built with it (same safe constructors, ten times faster)
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


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
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> tuple[Any, LineMap]:
    """Like :func:`read_yaml`, for text already read (``name`` is used in messages)."""
    loader = _SafeLoader(text)
    walk = _Walk(name)
    try:
        node = loader.get_single_node()
        if node is not None:
            walk(node, ())
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(name, exc, walk.paths)]) from None
    except RecursionError:
        raise ScenarioError([Problem(name, None, "", "found nesting too deep, expected a scenario")]) from None
    finally:
        loader.dispose()
    if walk.duplicates:
        raise ScenarioError(walk.duplicates)
    return data, walk.lines


def _yaml_problem(name: str, exc: yaml.YAMLError, paths: dict) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    path = ".".join(map(str, paths.get((mark.line, mark.column), ()))) if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
        tag = problem.rsplit(" ", 1)[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
        return Problem(name, line, path, f"found tag {tag}, expected plain YAML (tags are never run)")
    return Problem(name, line, path, f"found invalid YAML ({problem}), expected a YAML mapping")


def parse_value(text: str) -> Any:
    """Parse one ``--set`` value as YAML (so ``0.02``, ``[1, 2]`` and ``{uniform: [0, 1]}`` work)."""
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):   # ValueError: a date such as 2024-13-01
        return text


def dump_yaml(data: Any) -> str:
    """Plain YAML text of scenario data that :func:`parse_yaml` reads back to equal data."""
    return yaml.dump(data, Dumper=_SafeDumper, sort_keys=False, allow_unicode=True)
