"""Fixtures for CLI tests: an isolated config file, the fake Lifecycle, and a CLI runner."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from racetrack.client import output, progress
from racetrack.client.main import app

from .fake_lifecycle import ADMIN_TOKEN, FakeLifecycle


@pytest.fixture(autouse=True)
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config file (RACETRACK_CONFIG) and home directory."""
    path = tmp_path / "rc" / "config.yaml"
    monkeypatch.setenv("RACETRACK_CONFIG", str(path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("RACETRACK_INSECURE", "RACETRACK_DATA_DIR", "NO_COLOR", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def fast_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll deployments every few milliseconds (the back-off itself is tested in test_progress)."""
    monkeypatch.setattr(progress, "FIRST_DELAY", 0.002)


@pytest.fixture
def lifecycle(fast_polling: None) -> Iterator[FakeLifecycle]:
    fake = FakeLifecycle().start()
    yield fake
    fake.stop()


def write_config(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    os.chmod(path, 0o600)


def read_config(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture
def logged_in(lifecycle: FakeLifecycle, config_path: Path) -> FakeLifecycle:
    """The fake is the current remote and the admin's token is saved for it."""
    write_config(
        config_path,
        {"lifecycle_url": lifecycle.url, "user_auths": {lifecycle.lifecycle_url: ADMIN_TOKEN}},
    )
    return lifecycle


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CLI believe stdout is a terminal."""
    monkeypatch.setattr(output, "stdout_is_tty", lambda: True)


Cli = Callable[..., Result]


@pytest.fixture
def cli() -> Cli:
    """Run ``racetrack ARGS...`` in-process; ``input`` feeds stdin."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke
