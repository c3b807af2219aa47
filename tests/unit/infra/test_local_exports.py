"""The public surface of racetrack.infra.local is exactly its ``__all__``."""

from __future__ import annotations

import types

import racetrack.infra.local as local


def test_exported_members() -> None:
    """Everything defined in the package is exported, and every export exists."""
    defined = {
        name
        for name, value in vars(local).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", "").startswith("racetrack.infra.local")
    }
    assert defined == set(local.__all__)
