"""The public surface of racetrack.lifecycle is what __all__ says."""

from __future__ import annotations

import racetrack.lifecycle as lifecycle


def test_all_names_exist_and_nothing_else_is_advertised() -> None:
    assert sorted(lifecycle.__all__) == ["LifecycleSettings", "create_app"]
    for name in lifecycle.__all__:
        assert getattr(lifecycle, name) is not None
