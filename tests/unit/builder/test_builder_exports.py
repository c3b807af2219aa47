"""The public surface of racetrack.builder is exactly its ``__all__``."""

from __future__ import annotations

import types

import racetrack.builder as builder


def test_exported_members() -> None:
    """Everything defined in the package is exported, and every export exists."""
    defined = {
        name
        for name, value in vars(builder).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", "").startswith("racetrack.builder")
    }
    assert defined == set(builder.__all__)
