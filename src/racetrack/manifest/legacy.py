"""Deprecated manifest fields and how they map onto the current ones.

| deprecated                               | current          |
|------------------------------------------|------------------|
| ``lang``                                 | ``jobtype``      |
| ``golang``, ``python``, ``wrapper_properties`` | ``jobtype_extra`` |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# current field -> its deprecated aliases, in the order of precedence upstream gives them
ALIASES: dict[str, tuple[str, ...]] = {
    "jobtype": ("lang",),
    "jobtype_extra": ("golang", "python", "wrapper_properties"),
}
DEPRECATED: dict[str, str] = {old: new for new, olds in ALIASES.items() for old in olds}
LEGACY_FILE_NAME = "fatman.yaml"
FILE_NAME = "job.yaml"


def deprecation_warnings(raw: Mapping[str, Any]) -> list[str]:
    """One warning per deprecated field present in the raw manifest mapping."""
    return [f"`{old}:` is deprecated. Use `{new}:` instead." for old, new in DEPRECATED.items() if old in raw]


def file_name_warning(name: str) -> str:
    """The warning printed when a manifest is read from the legacy file name."""
    return f"`{name}` is a deprecated manifest file name. Rename it to `{FILE_NAME}`."


def present_group_members(raw: Mapping[str, Any], current: str) -> list[str]:
    """Keys of ``raw`` naming ``current`` or one of its aliases with a non-null value."""
    return [key for key in (current, *ALIASES[current]) if raw.get(key) is not None]


def modernize(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Rename deprecated keys to their current names; null-valued aliases are dropped.

    Raises:
        ValueError: when a field is given both under its current name and an alias,
            or under several aliases.
    """
    data = dict(raw)
    for current, olds in ALIASES.items():
        given = present_group_members(data, current)
        if len(given) > 1:
            quoted = [f"'{key}'" for key in given]
            names = ", ".join(quoted[:-1]) + " and " + quoted[-1]
            raise ValueError(
                f"{names} are names of one field; keep only '{current}' (the others are deprecated)"
            )
        for old in olds:
            if old in data and data[old] is None:
                del data[old]
        if given and given[0] != current:
            data[current] = data.pop(given[0])
    return data
