"""Turn pydantic's validation errors into ``found X, expected Y`` messages at the user's key paths."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

import pydantic
from pydantic import BaseModel

from .errors import Problem, did_you_mean as _did_you_mean
from .schema import Scenario
from .yamlsource import LineMap

__all__ = ["describe", "pydantic_problems", "line_of", "model_at", "INTERNAL"]

INTERNAL = ("file", "digest")   # fields load_scenario fills in, never written by users


def line_of(lines: LineMap, loc: tuple) -> int | None:
    for i in range(len(loc), -1, -1):
        if tuple(loc[:i]) in lines:
            return lines[tuple(loc[:i])]
    return None


def model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class that the object at ``loc`` is validated against."""
    tp: Any = Scenario
    for key in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if key not in tp.model_fields:
                return None
            tp = tp.model_fields[key].annotation
        elif typing.get_origin(tp) in (dict, tuple, list):
            args = typing.get_args(tp)
            tp = args[-1] if args else Any
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """The model (or plain type) behind Annotated[...] and unions of a model with other types."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [_unwrap(a) for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
            return models[0] if models else (members[0] if len(members) == 1 else Any)
        else:
            return tp


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _expected(msg: str) -> str:
    """Pydantic's 'Input should be a valid integer' -> 'a valid integer' (no class names)."""
    msg = re.sub(r" or instance of \w+", "", msg)
    msg = msg.removeprefix("Input should be ").removeprefix("input should be ").replace("valid tuple", "list")
    return msg[0].lower() + msg[1:] if msg else "a different value"


def _data_loc(data: Any, loc: tuple) -> tuple:
    """Keep only the parts of a pydantic location that are keys or indices in the data.

    Pydantic adds names of union members and validators to locations; users never wrote those.
    """
    out: list = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict) and i == len(loc) - 1 and isinstance(part, str) \
                and not part.startswith(("[", "function-")):
            pass  # a missing key: still part of the path the user should add
        elif isinstance(node, (list, tuple)) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue
        out.append(part)
    return tuple(out)


_BOOLEAN_HINT = (" (YAML 1.1 reads unquoted yes, no, on, off, true and false as booleans: quote the word, "
                 "e.g. 'yes', to mean the text)")


_EXPONENT = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+")
_YAML11_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*[eE][-+][0-9]+")


def _text_hint(found: str, message: str) -> str:
    """Why a number came out as text: quotes, or YAML 1.1's exponents (``1e30`` and ``1.0e30`` are
    text, ``1.0e+30`` a number)."""
    if "number" not in message and "integer" not in message:
        return ""
    if _EXPONENT.fullmatch(found.strip()) and not _YAML11_FLOAT.fullmatch(found.strip()):
        return " (YAML 1.1 reads an exponent as a number only with a dot and a sign: write 1.0e+30, not 1e30)"
    try:
        float(found)
    except ValueError:
        return ""
    return " (a number in quotes is text: remove the quotes)"


def describe(err: dict, data: Any = None) -> tuple[tuple, str]:
    """(location in the user's data, ``found X, expected Y``) for one pydantic error."""
    loc, message = _describe(err, data)
    found = err.get("input")
    if isinstance(found, bool) and "YAML 1.1" not in message:
        message += _BOOLEAN_HINT
    elif isinstance(found, str):
        message += _text_hint(found, message)
    return loc, message


def _describe(err: dict, data: Any = None) -> tuple[tuple, str]:
    loc = _data_loc(data, tuple(err["loc"])) if data is not None else tuple(
        x for x in err["loc"] if not (isinstance(x, str) and (x.startswith("[") or x.startswith("function-"))))
    found = err.get("input")
    kind = err["type"]
    if kind == "extra_forbidden":
        model = model_at(loc[:-1]) if loc else None
        options = [f for f in model.model_fields if f not in INTERNAL] if model else []
        return loc, (f"found unknown key {loc[-1] if loc else found!r}, expected one of {', '.join(options)}"
                     f"{_did_you_mean(loc[-1], options)}")
    if kind == "missing":
        return loc, "found nothing, expected this required key"
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if msg.startswith("found "):
        return loc, msg
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",")]
        return loc, f"found {_show(found)}, expected {expected}{_did_you_mean(found, options)}"
    return loc, f"found {_show(found)}, expected {_expected(msg)}"


def pydantic_problems(exc: pydantic.ValidationError, file: str, lines: LineMap, data: Any) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc, message = describe(err, data)
        problems.append(Problem(file, line_of(lines, loc), ".".join(map(str, loc)), message))
    return problems


