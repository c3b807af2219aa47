"""``-e KEY=VALUE`` overrides applied to the in-memory manifest before validation.

``KEY`` is a dotted path (``git.branch``). Missing intermediate mappings are **created**
(``-e resources.memory_max=2Gi`` works when the file has no ``resources``); an intermediate
that exists but is not a mapping is an error. ``VALUE`` is parsed as YAML: ``7`` is an
integer, ``true`` a boolean, ``{"a": 1}`` a mapping (replacing the whole sub-object), and an
empty value is null.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import yaml

from racetrack.manifest.errors import ManifestError, quote


def parse_extra_var(extra_var: str) -> tuple[list[str], Any]:
    """Split ``KEY=VALUE`` on the first '=' into the key path and the YAML-parsed value."""
    key, sep, text = extra_var.partition("=")
    if not sep:
        raise ManifestError(f"extra var: cannot unpack key-value from {quote(extra_var)}: expected KEY=VALUE")
    key = key.strip()
    if not key:
        raise ManifestError(f"extra var {quote(extra_var)}: empty key; expected KEY=VALUE")
    parts = key.split(".")
    if not all(parts):
        raise ManifestError(f"extra var {quote(key)}: empty part in the dotted key (e.g. git.branch)")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as e:
        raise ManifestError(f"extra var {quote(key)}: value is not valid YAML: {_first_line(e)}") from None
    return parts, value


def apply_extra_vars(data: dict[str, Any], extra_vars: Sequence[str]) -> dict[str, Any]:
    """A copy of ``data`` with each ``KEY=VALUE`` set, in order; ``data`` is not changed."""
    result = copy.deepcopy(data)
    for extra_var in extra_vars:
        parts, value = parse_extra_var(extra_var)
        node = result
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ManifestError(
                    f"extra var {quote('.'.join(parts))}: {quote(where)} is not a mapping, "
                    "cannot set a key inside it"
                )
            node = child
        node[parts[-1]] = value
    return result


def _first_line(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None)
    return str(problem) if problem else str(error).splitlines()[0]
