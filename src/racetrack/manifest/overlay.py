"""Merging an ``extends`` overlay onto its base manifest (one level only)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from racetrack.manifest import legacy
from racetrack.manifest.errors import ManifestError, quote


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Overlay keys win; nested mappings merge key by key; lists and scalars replace."""
    merged = dict(base)
    for key, value in overlay.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = value
    return merged


def merge_overlay(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """The overlay merged onto the base, with ``extends`` cleared.

    When the two files name one field differently (``lang`` in the base, ``jobtype`` in the
    overlay), the base's key is first renamed to the overlay's so they merge as one field.
    """
    base = dict(base)
    for current in legacy.ALIASES:
        ours = legacy.present_group_members(overlay, current)
        theirs = legacy.present_group_members(base, current)
        if len(ours) == 1 and len(theirs) == 1 and ours != theirs:
            base[ours[0]] = base.pop(theirs[0])
    merged = deep_merge(base, overlay)
    merged.pop("extends", None)
    return merged


def check_extends_path(extends: Any) -> PurePath:
    """The ``extends`` value as a relative path, or ManifestError."""
    if not isinstance(extends, str) or not extends.strip():
        raise ManifestError("extends: expected a relative path of the base manifest, e.g. ../job.yaml")
    path = PurePath(extends)
    if path.is_absolute() or extends.startswith(("/", "\\")):
        raise ManifestError(f"extends: {quote(extends)} is absolute; extends path should be relative")
    return path
