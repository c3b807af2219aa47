"""Fixtures for the job runtime tests (helpers live in job_runtime_support.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.job_runtime.job_runtime_support import AppFactory, JobProcess


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _restore_import_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading an entrypoint puts its directory on sys.path and the module in sys.modules."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "racetrack_job", raising=False)


@pytest.fixture
def jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppFactory]:
    factory = AppFactory(monkeypatch)
    yield factory
    factory.close()


@pytest.fixture
def job_process() -> Iterator[Callable[..., JobProcess]]:
    started: list[JobProcess] = []

    def start(directory: Path, *args: str, env: dict[str, str] | None = None) -> JobProcess:
        process = JobProcess(directory, list(args), env or {})
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
