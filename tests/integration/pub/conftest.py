"""Fixtures giving real servers on loopback: fake Lifecycle, job replicas, a crashing job, PUB."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from racetrack.pub import PubSettings, create_app
from tests.integration.pub.pub_servers import (
    DeadAddress,
    FakeLifecycle,
    JobReplica,
    PubFactory,
    ServerThread,
    start_replica,
    unused_port,
)

HERE = Path(__file__).parent


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def _lifecycle_server() -> Iterator[tuple[FakeLifecycle, ServerThread]]:
    fake = FakeLifecycle()
    server = ServerThread(fake.app()).start()
    fake.url = f"{server.url}/lifecycle"
    yield fake, server
    server.stop()


@pytest.fixture
def lifecycle(_lifecycle_server: tuple[FakeLifecycle, ServerThread]) -> FakeLifecycle:
    """The fake Lifecycle, emptied for this test."""
    fake = _lifecycle_server[0]
    fake.reset()
    return fake


@pytest.fixture(scope="session")
def _job_servers() -> Iterator[list[tuple[JobReplica, ServerThread]]]:
    replicas = [start_replica(), start_replica()]
    yield replicas
    for _, server in replicas:
        server.stop()


@pytest.fixture
def job(_job_servers: list[tuple[JobReplica, ServerThread]]) -> JobReplica:
    """A running job replica (echo, stream, redirect, slow, upload endpoints)."""
    replica = _job_servers[0][0]
    replica.control.reset()
    return replica


@pytest.fixture
def second_job(_job_servers: list[tuple[JobReplica, ServerThread]]) -> JobReplica:
    """Another replica of the same job program."""
    replica = _job_servers[1][0]
    replica.control.reset()
    return replica


@pytest.fixture
def dead() -> Iterator[str]:
    """The address of a job that is gone: connections are refused."""
    address = DeadAddress()
    yield address.address
    address.close()


@pytest.fixture
def crashing_job() -> Iterator[str]:
    """A job process that dies (os._exit) on /crash and after sending a head on /crash-after-head."""
    port = unused_port()
    process = subprocess.Popen([sys.executable, str(HERE / "crashing_job.py"), str(port)])
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("crashing job did not start") from None
            time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    if process.poll() is None:
        process.kill()
    process.wait(5)


@pytest.fixture(params=["native", "aiohttp"])
def upstream_client(request: pytest.FixtureRequest) -> str:
    """The HTTP client PUB forwards with: every PUB integration test runs against both."""
    return str(request.param)


@pytest.fixture
def pub(lifecycle: FakeLifecycle, upstream_client: str) -> Iterator[PubFactory]:
    """Start PUB with settings overrides; returns its base URL (without the /pub prefix)."""
    servers: list[ServerThread] = []

    def start(**overrides: Any) -> str:
        values: dict[str, Any] = {
            "lifecycle_url": lifecycle.url,
            "lifecycle_timeout": 2.0,
            "upstream_client": upstream_client,
        }
        values.update(overrides)
        server = ServerThread(create_app(PubSettings(**values))).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, follow_redirects=False) as c:
        yield c


@pytest.fixture(autouse=True)
def _no_env_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's environment out of PubSettings."""
    for name in list(os.environ):
        if name.startswith(("PUB_", "LIFECYCLE_", "AUTH_", "SERVICE_NAME", "REQUEST_TRACING", "CALLER_NAME")):
            monkeypatch.delenv(name)
