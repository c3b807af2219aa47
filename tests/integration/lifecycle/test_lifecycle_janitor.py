"""A Lifecycle building local environments prunes the unused ones from its status loop."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from racetrack.builder.venv import MARKER
from racetrack.lifecycle import LifecycleSettings, create_app
from racetrack.lifecycle.services.crypto import load_cipher
from racetrack.plugins.engine import PluginEngine
from tests.integration.lifecycle.lifecycle_fakes import FakePlugin
from tests.integration.lifecycle.lifecycle_support import TestClient


def test_unused_environments_are_pruned_by_the_status_loop(
    make_settings: Callable[..., LifecycleSettings], plugin: FakePlugin, tmp_path: Path
) -> None:
    settings = make_settings(sync_interval=0.1, environment_retention=3600)
    stale = settings.data_dir / "envs" / ("a" * 64)
    stale.mkdir(parents=True)
    (stale / MARKER).write_text("{}")
    os.utime(stale / MARKER, (time.time() - 7200, time.time() - 7200))
    fresh = settings.data_dir / "envs" / ("b" * 64)
    fresh.mkdir()
    (fresh / MARKER).write_text("{}")
    cipher = load_cipher(settings)
    engine = PluginEngine(tmp_path / "plugins", {}, cipher.encrypt, cipher.decrypt, extra_plugins=[plugin])
    with TestClient(create_app(settings, engine)):  # the local builder: no artifact_builder given
        deadline = time.monotonic() + 10
        while stale.exists():
            assert time.monotonic() < deadline, "the stale environment was not pruned"
            time.sleep(0.05)
    assert fresh.is_dir()
