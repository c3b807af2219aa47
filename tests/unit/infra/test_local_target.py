"""The local target with tiny processes: state, secrets, adoption, ports, failures to start."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from racetrack.core.errors import DeploymentError, NotFoundError
from racetrack.infra.local import LocalTarget
from racetrack.infra.local.processes import start_ticks
from racetrack.infra.local.state import DeploymentState, JobState, ReplicaState, save_state
from racetrack.plugins.interfaces import ArtifactKind, GitCredentials, JobSecrets, JobStatus
from tests.integration.infra.local_kit import make_request, wait_for

SLEEPER = [
    "{python}",
    "-c",
    "import sys, time; print('up on', sys.argv[1], flush=True); time.sleep(60)",
    "{port}",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_deploy_persists_state_without_secrets(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    target = targets()
    record = target.deploy_job(
        make_request(tmp_path / "src", command=SLEEPER, replicas=2, secret_env={"S": "v4lue"})
    )
    assert record.status == JobStatus.STARTING and record.infrastructure_target == "local"
    assert record.internal_name == record.replica_internal_names[0]
    job_dir = tmp_path / "data" / "jobs" / "job-adder-v-0-0-1"
    state = json.loads((job_dir / "state.json").read_text())
    deployment = state["deployments"][0]
    assert deployment["secret_names"] == ["AUTH_TOKEN", "S"]
    assert [r["port"] for r in deployment["replicas"]] == [
        int(a.split(":")[1]) for a in record.replica_internal_names
    ]
    assert all(r["pid"] and r["start_ticks"] for r in deployment["replicas"])
    text = (job_dir / "state.json").read_text() + (job_dir / "secrets.bin").read_text(errors="replace")
    assert "v4lue" not in text and "job-token-s3cret" not in text
    assert target.job_exists("adder", "0.0.1") and not target.job_exists("adder", "0.0.2")


def test_unverified_deployment_reports_starting_then_running_once_promoted(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    target = targets(probe_timeout=0)
    target.deploy_job(make_request(tmp_path / "src", command=SLEEPER))
    assert [j.status for j in target.list_jobs()] == [JobStatus.STARTING]
    target.promote_job("adder", "0.0.1", "d1")
    assert [j.status for j in target.list_jobs()] == [JobStatus.RUNNING]


def test_port_exhaustion_is_a_clear_error(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    port = free_port()
    target = targets(port_min=port, port_max=port)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        with pytest.raises(DeploymentError) as info:
            target.deploy_job(make_request(tmp_path / "src", command=SLEEPER))
    assert str(info.value) == (
        f"no free port in {port}-{port} for job adder 0.0.1; "
        "widen the range with the local target's port_min/port_max settings"
    )
    assert not target.job_exists("adder", "0.0.1")


def test_job_exiting_at_once_is_reported_with_its_output(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    target = targets()
    started = time.monotonic()
    record = target.deploy_job(
        make_request(
            tmp_path / "src", command=["{python}", "-c", "print('boom: bad config'); raise SystemExit(3)"]
        )
    )
    assert time.monotonic() - started < 3
    assert record.status == JobStatus.ERROR
    assert record.error is not None and record.error.startswith("replica 0 exited with code 3; restarting in")
    assert "boom: bad config" in target.read_recent_logs("adder", "0.0.1")


def test_command_that_cannot_start_fails_the_deploy(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    target = targets()
    with pytest.raises(
        DeploymentError, match="starting replica 0 of job adder v0.0.1: cannot start: .*No such file"
    ):
        target.deploy_job(make_request(tmp_path / "src", command=["/nonexistent/python", "job.py"]))
    assert not target.job_exists("adder", "0.0.1")
    assert not (tmp_path / "src").exists()


def test_other_artifact_kinds_are_refused(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    request = make_request(tmp_path / "src", command=SLEEPER)
    request.artifact.kind = ArtifactKind.OCI_IMAGE
    with pytest.raises(DeploymentError, match="runs local artifacts"):
        targets().deploy_job(request)


def test_job_secrets_round_trip(targets: Callable[..., LocalTarget], tmp_path: Path, key: bytes) -> None:
    secrets = JobSecrets(GitCredentials("bob", "pw"), {"B": "1"}, {"R": "2"})
    targets().save_job_secrets("adder", "0.0.1", secrets)  # before any deployment, as Lifecycle does
    assert targets().get_job_secrets("adder", "0.0.1") == secrets
    with pytest.raises(NotFoundError, match="Can't find secrets associated with job adder v0.0.2"):
        targets().get_job_secrets("adder", "0.0.2")


def _saved_job(tmp_path: Path, pid: int, ticks: int | None, port: int) -> None:
    job = JobState(
        name="adder",
        version="0.0.1",
        resource_name="job-adder-v-0-0-1",
        create_time=1,
        update_time=1,
        deployments=[
            DeploymentState(
                deployment_id="d1",
                deployment_timestamp=1700000000,
                promoted=True,
                command=SLEEPER,
                env={},
                cwd=str(tmp_path),
                artifact_name="env:x",
                replicas=[ReplicaState(index=0, port=port, pid=pid, start_ticks=ticks)],
                created=1,
            )
        ],
    )
    save_state(tmp_path / "data" / "jobs" / "job-adder-v-0-0-1", job)


def test_start_adopts_a_replica_still_running(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    survivor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        _saved_job(tmp_path, survivor.pid, start_ticks(survivor.pid), free_port())
        target = targets()
        target.start()
        (record,) = target.list_jobs()
        assert record.infrastructure_stats["pids"] == [survivor.pid]
        target.stop()  # stops adopted replicas too
        assert survivor.wait(timeout=5) is not None
    finally:
        survivor.kill()
        survivor.wait()


def test_start_does_not_adopt_a_recycled_pid(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    bystander = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        ticks = start_ticks(bystander.pid)
        assert ticks is not None
        _saved_job(tmp_path, bystander.pid, ticks - 7, free_port())  # same pid, another start time
        target = targets()
        target.start()
        (record,) = target.list_jobs()
        (pid,) = record.infrastructure_stats["pids"]
        assert pid != bystander.pid  # restarted instead
        wait_for(lambda: "up on" in target.read_recent_logs("adder", "0.0.1"))
        target.stop()
        assert bystander.poll() is None  # and the unrelated process was left alone
    finally:
        bystander.kill()
        bystander.wait()
