"""How the platform overview names a plugin's version."""

from __future__ import annotations

from importlib.metadata import version

import racetrack.jobtypes.python3
from racetrack.lifecycle.services.platform import plugin_version


def test_a_built_in_plugin_module_reports_the_racetrack_version() -> None:
    assert plugin_version(racetrack.jobtypes.python3) == version("racetrack")


def test_a_declared_version_wins_and_an_unknown_object_has_none() -> None:
    class Declared:
        plugin_version = "2.3.4"

    assert plugin_version(Declared()) == "2.3.4"
    assert plugin_version(object()) is None
