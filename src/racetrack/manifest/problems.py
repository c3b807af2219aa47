"""Turn a pydantic ValidationError into one clear line per problem, each naming its field path."""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from racetrack.manifest import legacy
from racetrack.manifest.errors import quote

_MAX_VALUE_LENGTH = 60
_PLAIN_KEY = re.compile(r"[\w-]+")
_STRUCTURAL = ("extra_forbidden", "missing")
_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}
_BOUNDS = {
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("greater than", "gt"),
}


def describe_value(value: Any) -> str:
    """``integer 1``, ``string 'x'``, ``null``, ``a list``... for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value}"
    if isinstance(value, str):
        text = value if len(value) <= _MAX_VALUE_LENGTH else value[: _MAX_VALUE_LENGTH - 3] + "..."
        return f"string {text!r}"
    if isinstance(value, datetime.date):
        return f"date {value.isoformat()}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return f"a value of type {type(value).__name__}"


def field_path(loc: Sequence[int | str]) -> str:
    """``('git', 'remote')`` → ``git.remote``; ``('public_endpoints', 0)`` → ``public_endpoints[0]``.

    Keys that are not plain words are quoted: ``('labels', 'a b')`` → ``labels['a b']``.
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            path += f"[{quote(part)}]"
        else:
            path += f".{part}" if path else part
    return path


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc[-1]``, if ``loc`` runs through models only."""
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        nested = _nested_model(field.annotation) if field else None
        if nested is None:
            return None
        model = nested
    return model


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _unknown_field(model: type[BaseModel], loc: Sequence[int | str]) -> str:
    path = field_path(loc)
    holder = _model_at(model, loc)
    if holder is None:
        return f"unknown field {quote(path)}"
    known = list(holder.model_fields)
    if holder is model:
        known += list(legacy.DEPRECATED)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    prefix = path.rpartition(".")[0] if len(loc) > 1 else ""
    if close:
        suggestion = f"{prefix}.{close[0]}" if prefix else close[0]
        return f"unknown field {quote(path)} (did you mean '{suggestion}'?)"
    return f"unknown field {quote(path)} (known fields: {', '.join(holder.model_fields)})"


def _missing_field(model: type[BaseModel], loc: Sequence[int | str]) -> str:
    path = field_path(loc)
    holder = _model_at(model, loc)
    field = holder.model_fields.get(str(loc[-1])) if holder else None
    if field is not None and field.description:
        return f"missing required field '{path}' ({field.description})"
    return f"missing required field '{path}'"


def _problem(model: type[BaseModel], error: ErrorDetails) -> str:
    kind, loc, value = error["type"], tuple(error["loc"]), error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_field(model, loc)
    if kind == "missing":
        return _missing_field(model, loc)
    if loc and loc[-1] == "[key]":
        where = field_path(loc[:-2]) or "manifest"
        if kind == "value_error" and "error" in ctx:
            return f"{where}: {ctx['error']}"
        return f"{where}: key {value!r} must be a string; quote it in YAML"
    path = field_path(loc)
    prefix = f"{path}: " if path else ""
    if kind == "value_error" and "error" in ctx:
        return f"{prefix}{ctx['error']}"
    if kind in _TYPE_NAMES:
        message = f"{prefix}expected {_TYPE_NAMES[kind]}, got {describe_value(value)}"
        if kind == "string_type" and isinstance(value, int | float | bool | datetime.date):
            message += "; quote the value in YAML"
        return message
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        return f"{prefix}must be {words} {ctx.get(key)}, got {describe_value(value)}"
    return f"{prefix}{error['msg']} (got {describe_value(value)})"


def problems_of(model: type[BaseModel], error: ValidationError) -> list[str]:
    """One line per problem, most general first, duplicates removed.

    Order: whole-manifest problems, then unknown and missing fields, then field values.
    """
    details = error.errors(include_url=False)
    ordered = sorted(details, key=lambda e: (len(e["loc"]) != 0, e["type"] not in _STRUCTURAL))
    return list(dict.fromkeys(_problem(model, e) for e in ordered))
