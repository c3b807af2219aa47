"""Helpers shared by the local target's unit and integration tests.

Import as ``tests.integration.infra.local_kit``.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from racetrack.infra.local import LocalSettings, LocalTarget
from racetrack.manifest import Manifest, parse_manifest
from racetrack.plugins.interfaces import Artifact, ArtifactKind, DeployRequest, PluginContext
from tests.conftest import require

STANDIN_JOB = Path(__file__).with_name("standin_job.py")
STANDIN_COMMAND = ["{python}", str(STANDIN_JOB), "--port", "{port}"]
FAST = {
    "supervise_interval": 0.1,
    "memory_check_interval": 0.1,
    "restart_backoff_min": 0.3,
    "restart_backoff_max": 2.0,
    "stop_timeout": 2.0,
    "probe_timeout": 1.0,
}


def make_context(
    data_dir: Path, settings: dict[str, Any] | None = None, key: bytes | None = None
) -> PluginContext:
    fernet = Fernet(key or Fernet.generate_key())
    return PluginContext(
        data_dir=data_dir, settings=settings or {}, encrypt=fernet.encrypt, decrypt=fernet.decrypt
    )


def make_target(data_dir: Path, key: bytes, **settings: Any) -> LocalTarget:
    return LocalTarget(make_context(data_dir, key=key), LocalSettings(**{**FAST, **settings}))


def make_manifest(name: str = "adder", version: str = "0.0.1") -> Manifest:
    return parse_manifest(
        {
            "name": name,
            "version": version,
            "owner_email": "owner@example.com",
            "jobtype": "python3:1.0.0",
            "git": {"remote": "https://example.com/adder.git"},
        }
    )


def make_request(
    source_dir: Path,
    deployment_id: str = "d1",
    *,
    name: str = "adder",
    version: str = "0.0.1",
    command: list[str] | None = None,
    replicas: int = 1,
    env_dir: Path | None = None,
    env: dict[str, str] | None = None,
    secret_env: dict[str, str] | None = None,
    memory_max_bytes: int | None = None,
    timestamp: int | None = None,
) -> DeployRequest:
    source_dir.mkdir(parents=True, exist_ok=True)
    manifest = make_manifest(name, version)
    artifact = Artifact(
        kind=ArtifactKind.LOCAL,
        name="env:0123456789ab",
        env_dir=env_dir,
        source_dir=source_dir,
        command=command or list(STANDIN_COMMAND),
        env={"JOB_TYPE_VERSION": "python3:1.0.0"},
    )
    return DeployRequest(
        manifest=manifest,
        manifest_yaml=manifest.to_yaml(),
        artifact=artifact,
        deployment_id=deployment_id,
        deployment_timestamp=timestamp or int(time.time()),
        env={"PUB_URL": "http://127.0.0.1:7000/pub", **(env or {})},
        secret_env={"AUTH_TOKEN": "job-token-s3cret", **(secret_env or {})},
        replicas=replicas,
        memory_max_bytes=memory_max_bytes,
    )


def get_json(address: str, path: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(f"http://{address}{path}", timeout=timeout) as response:
        return json.loads(response.read())


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until ``condition()`` is truthy (exceptions count as false); return its value."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as e:
            last_error = e
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last error: {last_error!r})")


def wait_live(address: str, timeout: float = 10.0) -> Any:
    return wait_for(lambda: get_json(address, "/live"), timeout)


# ---- fixtures shared by the unit and integration tests of the local target (re-exported by
# their conftest.py files)


@pytest.fixture(autouse=True)
def linux() -> None:
    require(Path("/proc/self/stat").exists(), "the local target needs Linux /proc")


@pytest.fixture
def key() -> bytes:
    return Fernet.generate_key()


@pytest.fixture
def targets(tmp_path: Path, key: bytes) -> Iterator[Callable[..., LocalTarget]]:
    made: list[LocalTarget] = []

    def make(**settings: Any) -> LocalTarget:
        target = make_target(tmp_path / "data", key, **settings)
        made.append(target)
        return target

    yield make
    for target in made:
        target.stop()
