"""Deployments through the API, run by the real worker and pipeline against working fakes."""

from __future__ import annotations

import base64
import io
import os
import tarfile
import time
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from racetrack.lifecycle.db.models import (
    AuditLogEvent,
    AuthResourcePermission,
    Deployment,
    PublicEndpointRequest,
)
from tests.integration.lifecycle.lifecycle_fakes import FakeBuilder, FakePlugin, FakeTarget
from tests.integration.lifecycle.lifecycle_support import TestClient, deploy, manifest, wait_for_deployment

API = "/lifecycle/api/v1"


def state(app: FastAPI) -> Any:
    return app.state.lifecycle


def whoami(address: str) -> str:
    deployment_id: str = httpx.get(f"http://{address}/whoami", timeout=3).json()["deployment_id"]
    return deployment_id


def test_deploy_runs_phases_in_order_and_reports_the_job(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    result = deploy(client, auth)

    assert result["status"] == "done", result
    assert result["phase"] is None and result["error"] is None
    job = result["job"]
    assert job["name"] == "adder" and job["version"] == "0.0.1" and job["status"] == "running"
    assert job["pub_url"] == "http://pub.example:7205/pub/job/adder/0.0.1"
    assert job["deployed_by"] == "admin"
    assert job["job_type_version"] == "fake:1.0.0"
    assert job["infrastructure_target"] == "fake"
    assert job["internal_name"] == target.serving("adder", "0.0.1")[0].address
    assert job["manifest"]["name"] == "adder"
    logs = client.get(f"{API}/job/adder/0.0.1/build-logs", headers=auth).json()["logs"]
    phases = [line.removeprefix("--- ") for line in logs.splitlines() if line.startswith("--- ")]
    assert phases == [
        "fetching the source code",
        "building image",
        "creating cluster resources",
        "starting Job server",
        "initializing Job entrypoint",
        "post-deploy hooks",
    ]


def test_job_gets_platform_env_blanked_build_vars_and_family_token(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    body = {
        "manifest": manifest(build_env={"PIP_INDEX": "https://pypi.example"}, runtime_env={"MODEL": "big"}),
        "secret_vars": {
            "build_env": {"BUILD_SECRET": "s3cr3t-build"},
            "runtime_env": {"API_KEY": "k3y-value"},
        },
    }
    deployment_id = client.post(f"{API}/deploy", json=body, headers=auth).json()["id"]
    assert wait_for_deployment(client, deployment_id, auth)["status"] == "done"

    request = target.requests[-1]
    assert request.env["MODEL"] == "big"
    assert request.env["PIP_INDEX"] == "" and request.env["BUILD_SECRET"] == ""
    assert request.env["PUB_URL"] == "http://127.0.0.1:7205/pub"
    assert request.env["JOB_NAME"] == "adder" and request.env["JOB_VERSION"] == "0.0.1"
    assert request.env["JOB_DEPLOYMENT_TIMESTAMP"] == str(request.deployment_timestamp)
    assert request.env["REQUEST_TRACING_HEADER"] == "X-Request-Tracing-Id"
    assert request.env["CALLER_NAME_HEADER"] == "X-Caller-Name"
    assert "name: adder" in request.env["JOB_MANIFEST_YAML"]
    assert request.secret_env["API_KEY"] == "k3y-value"
    assert request.secret_env["AUTH_TOKEN"].startswith("rt_f_")
    assert "AUTH_TOKEN" not in request.env and "API_KEY" not in request.env
    assert request.memory_max_bytes == 1024**3 and request.memory_min_bytes == 256 * 1024**2
    assert target.secrets[("adder", "0.0.1")].secret_runtime_env == {"API_KEY": "k3y-value"}


def test_secrets_are_masked_in_build_logs_and_dropped_from_the_deployment(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    body = {
        "manifest": manifest(),
        "git_credentials": {"username": "me", "password": "ghp_topsecret"},
        "secret_vars": {"build_env": {"BUILD_SECRET": "s3cr3t-build"}},
    }
    deployment_id = client.post(f"{API}/deploy", json=body, headers=auth).json()["id"]
    assert wait_for_deployment(client, deployment_id, auth)["status"] == "done"

    logs = client.get(f"{API}/job/adder/latest/build-logs", headers=auth).json()["logs"]
    assert "build var BUILD_SECRET=***" in logs and "s3cr3t-build" not in logs
    with state(app).db.session() as session:
        row = session.get(Deployment, deployment_id)
        assert row is not None
        assert row.secrets_encrypted is None and row.build_context is None
        assert "s3cr3t-build" not in (row.build_logs or "")


def test_deploy_runs_post_deploy_hook_grants_deployer_and_requests_public_endpoints(
    app: FastAPI, client: TestClient, auth: dict[str, str], plugin: FakePlugin
) -> None:
    deploy(client, auth, public_endpoints=["/api/v1/webview"])

    assert plugin.deployed == [("adder", "0.0.1", plugin.deployed[0][2], "admin")]
    with state(app).db.session() as session:
        scopes = set(
            session.scalars(
                select(AuthResourcePermission.scope).where(AuthResourcePermission.job_id.is_not(None))
            )
        )
        assert scopes == {"read_job", "call_job", "deploy_job", "delete_job"}
        requests = session.scalars(select(PublicEndpointRequest)).all()
        assert [(r.endpoint, r.active) for r in requests] == [("/api/v1/webview", False)]
        events = session.scalars(select(AuditLogEvent.event_type)).all()
        assert events == ["job_deployed"]


def test_reserved_runtime_env_var_fails_the_deployment(client: TestClient, auth: dict[str, str]) -> None:
    result = deploy(client, auth, runtime_env={"PUB_URL": "http://evil", "JOB_NAME": "x"})

    assert result["status"] == "failed"
    assert result["error"] == (
        "found illegal runtime env vars, which conflict with reserved names: {JOB_NAME, PUB_URL}"
    )


def test_job_initialization_error_fails_with_job_logs_and_removes_the_new_job(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    result = deploy(client, auth, runtime_env={"FAKE_BEHAVIOUR": "init-error"})

    assert result["status"] == "failed"
    assert result["error"].startswith("Job initialization error: boom in init\nJob logs:\nstarted deployment")
    assert target.serving("adder", "0.0.1") == []
    assert client.get(f"{API}/job/adder/0.0.1", headers=auth).status_code == 404
    assert client.get(f"{API}/job/adder/0.0.1/build-logs", headers=auth).status_code == 200


def test_missing_liveness_endpoint_fails_at_once(client: TestClient, auth: dict[str, str]) -> None:
    result = deploy(client, auth, runtime_env={"FAKE_BEHAVIOUR": "no-live"})

    assert result["status"] == "failed"
    assert result["error"].startswith("Job health error: liveness endpoint not found")


def test_job_never_ready_times_out(make_app: Any, auth_for: Any) -> None:
    app = make_app(timeout_until_job_ready=0.5)
    with TestClient(app) as client:
        headers = auth_for(client)
        result = deploy(client, headers, runtime_env={"FAKE_BEHAVIOUR": "never-ready"})
    assert result["status"] == "failed"
    assert result["error"].startswith("Job initialization timed out")


def test_old_instance_timestamp_is_not_taken_for_the_new_one(make_app: Any, auth_for: Any) -> None:
    app = make_app(timeout_until_job_alive=0.5)
    with TestClient(app) as client:
        result = deploy(client, auth_for(client), runtime_env={"FAKE_BEHAVIOUR": "old-timestamp"})
    assert result["status"] == "failed"
    assert "can't reach newer Job" in result["error"]


def test_build_failure_fails_the_deployment_with_the_builder_message(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    result = deploy(client, auth, build_env={"FAKE_BUILD": "fail"})

    assert result["status"] == "failed"
    assert result["error"] == "building image: pip failed: no matching distribution"
    assert target.requests == []
    logs = client.get(f"{API}/job/adder/0.0.1/build-logs/plain", headers=auth)
    assert logs.headers["content-type"].startswith("text/plain")
    assert "deployment failed: building image: pip failed" in logs.text


def test_failed_redeploy_with_force_leaves_the_running_version_serving(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    first = deploy(client, auth)
    address = first["job"]["internal_name"]

    failed = deploy(client, auth, force=True, runtime_env={"FAKE_BEHAVIOUR": "init-error"})

    assert failed["status"] == "failed"
    assert whoami(address) == first["id"]
    job = client.get(f"{API}/job/adder/0.0.1", headers=auth).json()
    assert job["status"] == "running" and job["internal_name"] == address
    assert [i.deployment_id for i in target.serving("adder", "0.0.1")] == [first["id"]]


def test_successful_redeploy_with_force_replaces_the_instances(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth)
    second = deploy(client, auth, force=True, replicas=2)

    assert second["status"] == "done"
    serving = target.serving("adder", "0.0.1")
    assert {i.deployment_id for i in serving} == {second["id"]} and len(serving) == 2
    assert whoami(second["job"]["internal_name"]) == second["id"]
    assert len(second["job"]["replica_internal_names"]) == 2
    with state(app).db.session() as session:
        event = session.scalars(
            select(AuditLogEvent).where(AuditLogEvent.event_type == "job_redeployed")
        ).one()
        assert event.username_subject == "admin"


def test_overwrite_protection_refuses_existing_and_deleted_versions_without_force(
    client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth)
    again = client.post(f"{API}/deploy", json={"manifest": manifest()}, headers=auth)
    assert again.status_code == 409
    assert again.json()["error"] == (
        "job adder v0.0.1 is already deployed. Try deploying next version or use --force flag"
    )

    assert client.delete(f"{API}/job/adder/0.0.1", headers=auth).status_code == 200
    reused = client.post(f"{API}/deploy", json={"manifest": manifest()}, headers=auth)
    assert reused.status_code == 409
    assert "has already been deployed and deleted" in reused.json()["error"]

    assert deploy(client, auth, force=True)["status"] == "done"


def test_allow_job_overwrite_disables_the_protection(make_app: Any, auth_for: Any) -> None:
    with TestClient(make_app(allow_job_overwrite=True)) as client:
        headers = auth_for(client)
        deploy(client, headers)
        assert deploy(client, headers)["status"] == "done"


def test_concurrent_deployment_of_the_same_version_is_refused(
    client: TestClient, auth: dict[str, str], builder: FakeBuilder
) -> None:
    first = deploy(client, auth, wait=False, build_env={"FAKE_BUILD": "wait"})
    try:
        second = client.post(f"{API}/deploy", json={"manifest": manifest()}, headers=auth)
        assert second.status_code == 409
        assert second.json()["error"].startswith("There's already ongoing deployment of job adder 0.0.1")
        other_version = client.post(
            f"{API}/deploy", json={"manifest": manifest(version="0.0.2")}, headers=auth
        )
        assert other_version.status_code == 200
    finally:
        builder.release.set()
    assert wait_for_deployment(client, first["id"], auth)["status"] == "done"


def test_deploy_refused_in_maintenance_mode(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    from racetrack.lifecycle.services.maintenance import set_maintenance_mode

    with state(app).db.session() as session:
        set_maintenance_mode(session, True)
    response = client.post(f"{API}/deploy", json={"manifest": manifest()}, headers=auth)
    assert response.status_code == 503
    assert response.json()["error"] == "Racetrack is currently in maintenance mode. Please try again later."


def test_invalid_manifest_is_refused_with_the_field_before_any_build(
    client: TestClient, auth: dict[str, str], builder: FakeBuilder
) -> None:
    response = client.post(f"{API}/deploy", json={"manifest": manifest(replicas=0)}, headers=auth)

    assert response.status_code == 400
    assert response.json()["type"] == "ManifestError"
    assert "replicas" in response.json()["error"]
    assert builder.builds == []


def test_unknown_job_type_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(f"{API}/deploy", json={"manifest": manifest(jobtype="golang:9.9.9")}, headers=auth)
    assert response.status_code == 400
    assert "job type golang:9.9.9 is not installed" in response.json()["error"]


def test_unknown_infrastructure_target_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        f"{API}/deploy", json={"manifest": manifest(infrastructure_target="mars")}, headers=auth
    )
    assert response.status_code == 400
    assert "infrastructure target 'mars' is not installed" in response.json()["error"]


def _tar_gz(members: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(buffer.getvalue()).decode()


def test_build_context_is_handed_to_the_builder(
    client: TestClient, auth: dict[str, str], builder: FakeBuilder
) -> None:
    context = _tar_gz({"job.py": b"class Job: pass\n"})
    response = client.post(
        f"{API}/deploy", json={"manifest": manifest(), "build_context": context}, headers=auth
    )
    assert wait_for_deployment(client, response.json()["id"], auth)["status"] == "done"
    assert builder.builds[0].build_context == base64.b64decode(context)


def test_too_big_build_context_is_refused_with_413(make_app: Any, auth_for: Any) -> None:
    with TestClient(make_app(max_build_context_bytes=1000)) as client:
        headers = auth_for(client)
        context = _tar_gz({"model.bin": os.urandom(5000)})
        response = client.post(
            f"{API}/deploy", json={"manifest": manifest(), "build_context": context}, headers=headers
        )
    assert response.status_code == 413
    assert "build context is too big" in response.json()["error"]


def test_unsafe_or_broken_build_context_is_refused_with_400(client: TestClient, auth: dict[str, str]) -> None:
    escaping = client.post(
        f"{API}/deploy",
        json={"manifest": manifest(), "build_context": _tar_gz({"../evil.py": b"x"})},
        headers=auth,
    )
    assert escaping.status_code == 400
    not_base64 = client.post(
        f"{API}/deploy", json={"manifest": manifest(), "build_context": "!!!"}, headers=auth
    )
    assert not_base64.status_code == 400
    assert "not valid base64" in not_base64.json()["error"]


def test_deployments_are_listed_newest_first(client: TestClient, auth: dict[str, str]) -> None:
    first = deploy(client, auth)
    second = deploy(client, auth, version="0.0.2")
    listed = client.get(f"{API}/deploy?limit=10", headers=auth).json()
    assert [d["id"] for d in listed] == [second["id"], first["id"]]
    assert client.get(f"{API}/deploy/nope", headers=auth).status_code == 404


def test_build_logs_are_readable_while_the_build_runs(
    client: TestClient, auth: dict[str, str], builder: FakeBuilder
) -> None:
    first = deploy(client, auth, wait=False, build_env={"FAKE_BUILD": "wait"})
    try:
        deadline = time.monotonic() + 10
        logs = ""
        while "fetching" not in logs and time.monotonic() < deadline:
            response = client.get(f"{API}/job/adder/0.0.1/build-logs", headers=auth)
            logs = response.json().get("logs", "") if response.status_code == 200 else ""
            time.sleep(0.05)
        assert "fetching" in logs
        assert "built fake-env" not in logs  # still building
    finally:
        builder.release.set()
    assert wait_for_deployment(client, first["id"], auth)["status"] == "done"
    assert "built fake-env" in client.get(f"{API}/job/adder/0.0.1/build-logs", headers=auth).json()["logs"]
