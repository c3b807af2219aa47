"""YAML in and out: a safe loader that refuses duplicate keys and names the line of any error,
and a dumper that keeps field order and readable non-ASCII text."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml

from racetrack.manifest.errors import ManifestError


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe YAML loader, refusing a key repeated in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _at(mark: yaml.Mark | None) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def parse_yaml(text: str) -> Any:
    """Parse YAML text; a syntax error becomes ManifestError naming the line and column."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        kind = "YAML error" if isinstance(e, yaml.constructor.ConstructorError) else "YAML syntax error"
        message = f"{kind}{_at(e.problem_mark)}: {e.problem or e.context or 'cannot parse'}"
        if e.problem and e.context and e.context_mark:
            message += f" ({e.context}{_at(e.context_mark)})"
        raise ManifestError(message) from None
    except yaml.YAMLError as e:
        raise ManifestError(f"YAML syntax error: {str(e).splitlines()[0]}") from None


def dump_yaml(data: Any) -> str:
    """Block-style YAML in the given key order; non-ASCII text stays readable.

    PyYAML writes U+0085 (NEL) raw with ``allow_unicode`` and then reads it as a line break,
    so text holding it is dumped with escapes instead.
    """
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if "\x85" in text:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False)
    return text
