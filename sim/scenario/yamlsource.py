"""Safe YAML reading that remembers the line of every key (the only code that sees YAML).

Every input is bounded before it is built: a file must be a regular UTF-8 file of at most
``MAX_BYTES``; a document (a file or one ``--set`` value) at most ``MAX_NODES`` values, nested at
most ``MAX_DEPTH`` deep. Dates are real calendar dates and unordered ``!!set`` collections are
refused (their order would follow Python's hash seed).
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, ScenarioError

__all__ = ["read_yaml", "read_text", "parse_value", "parse_yaml", "dump_yaml", "LineMap", "MAX_BYTES",
           "MAX_NODES", "MAX_DEPTH"]

LineMap = dict[tuple, int]
# Aliases can make a short file expand to billions of nodes; a scenario has a few thousand at most.
MAX_NODES = 100_000
MAX_DEPTH = 100
MAX_BYTES = 5_000_000       # the largest shipped scenario is about 40 kB
_SET_TAG = "tag:yaml.org,2002:set"
_BOMS = {codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16", codecs.BOM_UTF32_LE: "UTF-32",
         codecs.BOM_UTF32_BE: "UTF-32"}


def _dotted(path: tuple) -> str:
    return ".".join(map(str, path))


class _Walk:
    """Map key paths to lines and nodes to paths; reject cyclic, exploding, deep or unordered data."""

    def __init__(self, name: str):
        self.name = name
        self.lines: LineMap = {}
        self.paths: dict[tuple[int, int], tuple] = {}
        self.count = 0
        self.duplicates: list[Problem] = []

    def _refuse(self, node: yaml.Node, path: tuple, what: str, expected: str = "plain scenario data") -> None:
        raise ScenarioError([Problem(self.name, node.start_mark.line + 1, _dotted(path),
                                     f"found {what}, expected {expected}")])

    def __call__(self, node: yaml.Node, path: tuple, parents: frozenset = frozenset()) -> None:
        self.count += 1
        if id(node) in parents:
            self._refuse(node, path, "a recursive alias")
        if self.count > MAX_NODES:
            self._refuse(node, path, f"more than {MAX_NODES} values (aliases)")
        if len(parents) >= MAX_DEPTH:
            self._refuse(node, path, f"nesting deeper than {MAX_DEPTH} levels")
        if node.tag == _SET_TAG:
            self._refuse(node, path, "an unordered !!set", "a list [a, b, c] (a set's order changes from run to run)")
        self.lines.setdefault(path, node.start_mark.line + 1)
        self.paths.setdefault((node.start_mark.line, node.start_mark.column), path)
        parents = parents | {id(node)}
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "<complex key>"
                if path + (key,) in self.lines and key != "<complex key>":
                    self.duplicates.append(Problem(self.name, key_node.start_mark.line + 1, _dotted(path + (key,)),
                                                   f"found key {key!r} twice, expected each key once"))
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                self(value_node, path + (key,), parents)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[path + (i,)] = item.start_mark.line + 1
                self(item, path + (i,), parents)


# libyaml's parser when PyYAML was built with it (same safe constructors, ten times faster)
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):
    """The safe loader, with dates that name the impossible date instead of crashing."""


def _timestamp(loader: Any, node: yaml.ScalarNode) -> dt.date:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        reason = f" ({exc})" if isinstance(exc, ValueError) else ""
        raise yaml.constructor.ConstructorError(
            None, None, f"found {node.value!r}{reason}, expected a real calendar date YYYY-MM-DD",
            node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

# YAML 1.1 (PyYAML) reads 1e-2 and 1E5 as text: a number needs a dot there. People write them as YAML 1.2
# and every other reader does, so such exponents are numbers here too, in files, --set and events alike.
_EXPONENT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT, list("-+0123456789"))


class _Dumper(_SafeDumper):
    """The safe dumper, quoting text such as '1e-2' that :class:`_Loader` would read back as a number."""


_Dumper.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT, list("-+0123456789"))


def read_text(path: str | Path) -> str:
    """The text of a scenario file: a regular file, at most ``MAX_BYTES``, in UTF-8.

    Devices, FIFOs and directories are refused at once (opened without blocking, never read).
    """
    name = str(path)

    def problem(message: str) -> ScenarioError:
        return ScenarioError([Problem(name, None, "", message)])

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise problem(f"cannot read file: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file"
        raise problem(f"found {kind}, expected a regular YAML file")
    with os.fdopen(fd, "rb") as f:
        try:
            raw = f.read(MAX_BYTES + 1)
        except OSError as exc:
            raise problem(f"cannot read file: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise problem(f"found a file larger than {MAX_BYTES:,} bytes, expected a scenario (a few kB)")
    return _decode(raw, problem)


def _decode(raw: bytes, problem) -> str:
    for bom, encoding in _BOMS.items():
        if raw.startswith(bom):
            raise problem(f"found {encoding} text, expected UTF-8 (save the file as UTF-8)")
    if b"\0" in raw:
        raise problem(f"found binary data (a NUL byte at byte {raw.index(0)}), expected a UTF-8 text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise problem(f"found a byte that is not UTF-8 (0x{raw[exc.start]:02x} on line {line}), expected UTF-8 "
                      "text (save the file as UTF-8; Latin-1 and Windows-1252 are not read)") from None


def parse_yaml(text: str, name: str) -> tuple[Any, LineMap]:
    """Build YAML text with the safe loader, bounded and located; return its data and its line map."""
    loader = _Loader(text)
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


def read_yaml(path: str | Path) -> tuple[Any, LineMap]:
    """Read a YAML file with a safe loader; return its data and a map key-path -> line.

    Tags such as ``!!python/object`` are rejected (never executed); syntax errors, impossible dates,
    encodings other than UTF-8 and oversized input become a :class:`ScenarioError` naming the file.
    """
    return parse_yaml(read_text(path), str(path))


def _yaml_problem(name: str, exc: yaml.YAMLError, paths: dict) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    path = _dotted(paths.get((mark.line, mark.column), ())) if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    if problem.startswith("found "):
        return Problem(name, line, path, problem)
    if "nesting depth" in problem:
        return Problem(name, line, path, f"found nesting deeper than libyaml reads ({problem}), expected plain "
                                         "scenario data")
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
        tag = problem.rsplit(" ", 1)[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
        return Problem(name, line, path, f"found tag {tag}, expected plain YAML (tags are never run)")
    return Problem(name, line, path, f"found invalid YAML ({problem}), expected a YAML mapping")


MAX_SET_CHARS = 100_000


def parse_value(text: str, *, key: str = "") -> Any:
    """Parse one ``--set`` value as YAML (so ``0.02``, ``[1, 2]`` and ``{uniform: [0, 1]}`` work).

    Text that is not valid YAML is taken as a string; a value too long, too deep, exploding through
    aliases, or holding an impossible date raises :class:`ScenarioError` against ``--set``.
    """
    if len(text) > MAX_SET_CHARS:
        raise ScenarioError([Problem("--set", None, key, f"found a value of {len(text):,} characters, "
                                                          f"expected at most {MAX_SET_CHARS:,}")])
    try:
        return parse_yaml(text, "--set")[0]
    except ScenarioError as exc:
        bounded = [p for p in exc.problems if not p.message.startswith("found invalid YAML")]
        if bounded:
            raise ScenarioError([Problem("--set", None, ".".join(filter(None, (key, p.path))), p.message)
                                 for p in bounded]) from None
        return text


def dump_yaml(data: Any) -> str:
    """Plain YAML text of scenario data that :func:`parse_yaml` reads back to equal data."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
