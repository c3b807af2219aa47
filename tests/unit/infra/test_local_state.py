"""state.json and secrets.bin of a local job version."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from racetrack.core.errors import RacetrackError
from racetrack.infra.local.state import (
    DeploymentState,
    JobState,
    ReplicaState,
    SecretsFile,
    load_state,
    save_state,
)
from racetrack.plugins.interfaces import GitCredentials, JobSecrets


def job_state() -> JobState:
    replica = ReplicaState(index=0, port=17001, pid=1234, start_ticks=99, started_at=1.5, restarts=2)
    replica._backoff = 4.0  # runtime only: never saved
    deployment = DeploymentState(
        deployment_id="d1",
        deployment_timestamp=1700000000,
        promoted=True,
        command=["{python}", "-m", "x", "--port", "{port}"],
        env={"PUB_URL": "http://pub"},
        secret_names=["AUTH_TOKEN"],
        cwd="/data/artifacts/adder/0.0.1/d1",
        env_dir="/data/envs/abc",
        artifact_name="env:abc",
        memory_max_bytes=2**28,
        replicas=[replica],
        created=1700000000,
    )
    deployment._secret_env = {"AUTH_TOKEN": "tok3n"}
    return JobState(
        name="adder",
        version="0.0.1",
        resource_name="job-adder-v-0-0-1",
        deployments=[deployment],
        create_time=1,
        update_time=2,
    )


def test_state_round_trip_without_runtime_fields(tmp_path: Path) -> None:
    state = job_state()
    save_state(tmp_path, state)
    text = (tmp_path / "state.json").read_text()
    assert "tok3n" not in text and "_backoff" not in text
    loaded = load_state(tmp_path)
    assert loaded is not None and loaded.model_dump() == state.model_dump()
    assert loaded is not None and loaded.deployments[0]._secret_env == {}
    assert not list(tmp_path.glob(".state.json.*"))  # no temporary file left


def test_missing_state_is_none(tmp_path: Path) -> None:
    assert load_state(tmp_path) is None


def test_secrets_file_is_encrypted_and_private(tmp_path: Path) -> None:
    fernet = Fernet(Fernet.generate_key())
    secrets = SecretsFile(tmp_path, fernet.encrypt, fernet.decrypt)
    assert secrets.job_secrets() is None
    secrets.set_job_secrets(JobSecrets(GitCredentials("bob", "git-pw"), {"B": "build-s"}, {"R": "run-s"}))
    secrets.set_runtime_env("d1", {"AUTH_TOKEN": "tok3n"})
    secrets.set_runtime_env("d2", {"AUTH_TOKEN": "tok4n"})
    raw = (tmp_path / "secrets.bin").read_bytes()
    for plain in (b"git-pw", b"build-s", b"run-s", b"tok3n"):
        assert plain not in raw
    assert stat.S_IMODE((tmp_path / "secrets.bin").stat().st_mode) == 0o600
    again = SecretsFile(tmp_path, fernet.encrypt, fernet.decrypt)
    assert again.job_secrets() == JobSecrets(
        GitCredentials("bob", "git-pw"), {"B": "build-s"}, {"R": "run-s"}
    )
    assert again.runtime_env("d1") == {"AUTH_TOKEN": "tok3n"}
    again.keep_runtime_envs({"d2"})
    assert again.runtime_env("d1") == {} and again.runtime_env("d2") == {"AUTH_TOKEN": "tok4n"}


def test_secrets_file_with_another_key_is_a_clear_error(tmp_path: Path) -> None:
    one, other = Fernet(Fernet.generate_key()), Fernet(Fernet.generate_key())
    SecretsFile(tmp_path, one.encrypt, one.decrypt).set_runtime_env("d1", {"A": "1"})
    with pytest.raises(RacetrackError, match="cannot decrypt .*secret key changed"):
        SecretsFile(tmp_path, other.encrypt, other.decrypt).runtime_env("d1")


def test_empty_secrets_remove_the_file(tmp_path: Path) -> None:
    fernet = Fernet(Fernet.generate_key())
    secrets = SecretsFile(tmp_path, fernet.encrypt, fernet.decrypt)
    secrets.set_runtime_env("d1", {"A": "1"})
    secrets.set_runtime_env("d1", None)
    assert not (tmp_path / "secrets.bin").exists()
