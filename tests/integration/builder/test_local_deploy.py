"""A job built with uv, deployed on the local target: the environment, source and runtime together."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from racetrack.builder import BuildLog
from racetrack.infra.local import LocalTarget
from racetrack.plugins.interfaces import DeployRequest, JobStatus
from tests.conftest import require
from tests.integration.builder.conftest import BuiltJob
from tests.integration.infra.local_kit import STANDIN_COMMAND, get_json, make_target, wait_for, wait_live


@pytest.fixture
def target(tmp_path: Path) -> Iterator[LocalTarget]:
    require(Path("/proc/self/stat").exists(), "the local target needs Linux /proc")
    local = make_target(tmp_path / "data", Fernet.generate_key())
    local.start()
    yield local
    local.stop()


def request_for(job: BuiltJob, deployment_id: str, **artifact_changes: object) -> DeployRequest:
    return DeployRequest(
        manifest=job.manifest,
        manifest_yaml=job.manifest.to_yaml(),
        artifact=replace(
            job.build(deployment_id, BuildLog(job.root / "logs" / f"{deployment_id}.log")), **artifact_changes
        ),  # type: ignore[arg-type]
        deployment_id=deployment_id,
        deployment_timestamp=int(time.time()),
        env={"PUB_URL": "http://127.0.0.1:7000/pub"},
        secret_env={"AUTH_TOKEN": "token"},
    )


def test_job_runs_in_its_env_and_private_source_copy(built_job: BuiltJob, target: LocalTarget) -> None:
    request = request_for(built_job, "standin", command=list(STANDIN_COMMAND))
    record = target.deploy_job(request)
    wait_live(record.internal_name)
    where = get_json(record.internal_name, "/cwd")
    assert where["python"].startswith(str(request.artifact.env_dir))
    assert where["cwd"] == str(request.artifact.source_dir)
    assert get_json(record.internal_name, "/env?name=VIRTUAL_ENV")["value"] == str(request.artifact.env_dir)


def test_python3_job_is_served_by_the_job_runtime(built_job: BuiltJob, target: LocalTarget) -> None:
    request = request_for(built_job, "runtime")
    record = target.deploy_job(request)
    try:
        live = wait_for(lambda: get_json(record.internal_name, "/live"), timeout=20)
    except AssertionError:
        pytest.fail("job runtime did not come up:\n" + target.read_recent_logs("adder", "0.0.1", tail=40))
    assert live["deployment_timestamp"] == request.deployment_timestamp
    wait_for(lambda: get_json(record.internal_name, "/ready"), timeout=20)
    call = urllib.request.Request(
        f"http://{record.internal_name}/pub/job/adder/0.0.1/api/v1/perform",
        data=json.dumps({"a": 40, "b": 2}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(call, timeout=5) as response:
        assert json.loads(response.read()) == 42
    target.promote_job("adder", "0.0.1", "runtime")
    assert [job.status for job in target.list_jobs()] == [JobStatus.RUNNING]
