"""Settings of the local target."""

from __future__ import annotations

from pathlib import Path

import pytest

from racetrack.core.errors import InvalidInputError
from racetrack.infra.local import LocalSettings


def test_defaults() -> None:
    settings = LocalSettings.from_plugin_settings({})
    assert (settings.port_min, settings.port_max) == (17000, 17999)
    assert (settings.restart_backoff_min, settings.restart_backoff_max, settings.stop_timeout) == (
        1.0,
        60.0,
        5.0,
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"port_min": 18000, "port_max": 17000}, "port_min 18000 is above port_max 17000"),
        ({"port_max": 70000}, "port_max: Input should be less than or equal to 65535"),
        ({"portmin": 1}, "portmin: Extra inputs are not permitted"),
    ],
)
def test_invalid_settings_name_the_setting(settings: dict[str, int], message: str) -> None:
    with pytest.raises(
        InvalidInputError, match="invalid settings of the local infrastructure target"
    ) as info:
        LocalSettings.from_plugin_settings(settings)
    assert message in str(info.value)


def test_every_setting_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "infrastructure.md").read_text()
    default = LocalSettings()
    for name in LocalSettings.model_fields:
        assert (
            f"| `{name}` | {getattr(default, name):g} |" in docs
            or f"| `{name}` | {getattr(default, name)} |" in docs
        ), name
