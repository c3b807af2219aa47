"""Redeploy, reprovision and manifest edits: stored manifest, secrets back from the target."""

from __future__ import annotations

import base64
import io
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from starlette.testclient import TestClient

from racetrack.lifecycle import LifecycleSettings, create_app
from racetrack.lifecycle.db.models import AuditLogEvent, AuthResourcePermission, Deployment, User
from racetrack.lifecycle.services.crypto import load_cipher
from racetrack.lifecycle.state import LifecycleState
from racetrack.plugins.engine import PluginEngine
from racetrack.plugins.hookspecs import hookimpl
from racetrack.plugins.interfaces import PluginContext
from tests.integration.lifecycle.lifecycle_fakes import FakeBuilder, FakePlugin, FakeTarget
from tests.integration.lifecycle.lifecycle_support import (
    deploy,
    login,
    manifest,
    register_user,
    wait_for_deployment,
)

API = "/lifecycle/api/v1"


def state(app: FastAPI) -> LifecycleState:
    result: LifecycleState = app.state.lifecycle
    return result


def _tar_gz(files: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(buffer.getvalue()).decode()


def _deploy_with_secrets(client: TestClient, auth: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {
        "manifest": manifest(),
        "git_credentials": {"username": "me", "password": "ghp_gitsecret"},
        "secret_vars": {
            "build_env": {"BUILD_SECRET": "s3cr3t-build"},
            "runtime_env": {"API_KEY": "k3y-value"},
        },
        **extra,
    }
    deployment_id = client.post(f"{API}/deploy", json=body, headers=auth).json()["id"]
    result = wait_for_deployment(client, deployment_id, auth)
    assert result["status"] == "done", result
    return result


def test_redeploy_rebuilds_from_the_stored_manifest_with_the_secrets_kept_by_the_target(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget, builder: FakeBuilder
) -> None:
    _deploy_with_secrets(client, auth)

    response = client.post(f"{API}/job/adder/0.0.1/redeploy", headers=auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "done" and body["kind"] == "redeploy"
    assert len(builder.builds) == 2
    rebuilt = builder.builds[-1]
    assert rebuilt.build_env["BUILD_SECRET"] == "s3cr3t-build"
    assert rebuilt.git_credentials is not None and rebuilt.git_credentials.password == "ghp_gitsecret"
    request = target.requests[-1]
    assert request.secret_env["API_KEY"] == "k3y-value"
    assert request.env["BUILD_SECRET"] == ""
    assert target.active[("adder", "0.0.1")] == body["id"]
    with state(app).db.session() as session:
        event = session.scalars(select(AuditLogEvent).order_by(AuditLogEvent.timestamp.desc())).first()
        assert event is not None and event.event_type == "job_redeployed"
        assert event.username_executor == "admin" and event.username_subject == "admin"
        row = session.get(Deployment, body["id"])
        assert row is not None and row.secrets_encrypted is None
    logs = client.get(f"{API}/job/adder/0.0.1/build-logs", headers=auth).json()["logs"]
    assert "s3cr3t-build" not in logs and "ghp_gitsecret" not in logs


def test_redeploy_by_another_deployer_needs_deploy_job_not_the_secrets_and_grants_nothing(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    _deploy_with_secrets(client, auth)
    bob = register_user(client, auth, "bob@example.com")

    # new users may deploy_job on all jobs by default: enough to rebuild, secrets stay unknown to them
    response = client.post(f"{API}/job/adder/0.0.1/redeploy", headers=bob)

    assert response.status_code == 200, response.text
    assert target.requests[-1].secret_env["API_KEY"] == "k3y-value"
    with state(app).db.session() as session:
        bob_id = session.scalars(select(User.id).where(User.username == "bob@example.com")).one()
        assert bob_id
        job_grants = session.scalars(
            select(AuthResourcePermission).where(AuthResourcePermission.job_id.is_not(None))
        ).all()
        assert {g.subject_id for g in job_grants} == {job_grants[0].subject_id}  # the first deployer only


def test_redeploy_without_deploy_job_is_refused(
    client: TestClient, auth: dict[str, str], builder: FakeBuilder
) -> None:
    deploy(client, auth)
    eve = register_user(client, auth, "eve@example.com")
    grants = client.get(f"{API}/permissions", params={"subject": "eve@example.com"}, headers=auth).json()
    for grant in grants:
        if grant["scope"] == "deploy_job":
            assert client.delete(f"{API}/permissions/{grant['id']}", headers=auth).status_code == 200

    response = client.post(f"{API}/job/adder/0.0.1/redeploy", headers=eve)

    assert response.status_code == 401, response.text
    assert len(builder.builds) == 1


def test_reprovision_starts_the_running_artifact_again_without_building(
    client: TestClient, auth: dict[str, str], target: FakeTarget, builder: FakeBuilder
) -> None:
    first = _deploy_with_secrets(client, auth)
    artifact = target.requests[-1].artifact

    response = client.post(f"{API}/job/adder/0.0.1/reprovision", headers=auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "reprovision" and body["image_name"] == artifact.name
    assert len(builder.builds) == 1
    assert target.requests[-1].artifact == artifact
    assert target.requests[-1].secret_env["API_KEY"] == "k3y-value"
    assert target.active[("adder", "0.0.1")] == body["id"] != first["id"]


def test_reprovision_on_a_target_without_artifacts_rebuilds_with_a_warning(
    client: TestClient, auth: dict[str, str], target: FakeTarget, builder: FakeBuilder
) -> None:
    deploy(client, auth)
    target.keeps_artifacts = False

    body = client.post(f"{API}/job/adder/0.0.1/reprovision", headers=auth).json()

    assert body["status"] == "done"
    assert len(builder.builds) == 2
    assert "keeps no artifact" in (body["warnings"] or "")


def test_redeploy_uses_the_edited_manifest_and_the_uploaded_source(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget, builder: FakeBuilder
) -> None:
    context = _tar_gz({"entrypoint.py": b"class Job: pass\n"})
    _deploy_with_secrets(client, auth, build_context=context)
    edited = (
        "name: adder\nversion: 0.0.1\nowner_email: sample@example.com\njobtype: fake:1.0.0\n"
        "git:\n  remote: https://github.com/example/adder\nruntime_env:\n  MODEL: edited\n"
    )

    assert (
        client.put(
            f"{API}/job/adder/0.0.1/manifest", json={"manifest_yaml": edited}, headers=auth
        ).status_code
        == 200
    )
    body = client.post(f"{API}/job/adder/0.0.1/redeploy", headers=auth).json()

    assert body["status"] == "done"
    assert target.requests[-1].env["MODEL"] == "edited"
    assert builder.builds[-1].build_context == base64.b64decode(context)
    job = client.get(f"{API}/job/adder/0.0.1", headers=auth).json()
    assert "MODEL: edited" in job["manifest_yaml"]
    with state(app).db.session() as session:
        kept = session.scalars(select(Deployment).where(Deployment.build_context.is_not(None))).all()
        assert [d.id for d in kept] == [body["id"]]  # one copy: the deployment the job runs from


def test_manifest_edit_refuses_a_new_name_or_invalid_yaml_and_changes_nothing(
    client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth)
    before = client.get(f"{API}/job/adder/0.0.1", headers=auth).json()["manifest_yaml"]
    renamed = before.replace("name: adder", "name: other")

    wrong_name = client.put(f"{API}/job/adder/0.0.1/manifest", json={"manifest_yaml": renamed}, headers=auth)
    broken = client.put(f"{API}/job/adder/0.0.1/manifest", json={"manifest_yaml": "name: [x"}, headers=auth)
    bad_field = client.put(
        f"{API}/job/adder/0.0.1/manifest", json={"manifest_yaml": before + "replicas: lots\n"}, headers=auth
    )

    assert wrong_name.status_code == 400 and "must stay adder and 0.0.1" in wrong_name.json()["error"]
    assert broken.status_code == 400
    assert bad_field.status_code == 400 and "replicas" in bad_field.json()["error"]
    assert client.get(f"{API}/job/adder/0.0.1", headers=auth).json()["manifest_yaml"] == before


def test_failed_redeploy_reports_its_cause_and_leaves_the_running_version(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    first = deploy(client, auth)
    before = client.get(f"{API}/job/adder/0.0.1", headers=auth).json()["manifest_yaml"]
    broken = before + "runtime_env:\n  FAKE_BEHAVIOUR: init-error\n"
    client.put(f"{API}/job/adder/0.0.1/manifest", json={"manifest_yaml": broken}, headers=auth)

    response = client.post(f"{API}/job/adder/0.0.1/redeploy", headers=auth)

    assert response.status_code == 500
    assert "redeploy of job adder v0.0.1 failed" in response.json()["error"]
    assert "boom in init" in response.json()["error"]
    assert target.active[("adder", "0.0.1")] == first["id"]
    assert [i.deployment_id for i in target.serving("adder", "0.0.1")] == [first["id"]]


def test_redeploy_and_manifest_edit_are_refused_in_maintenance_mode(
    client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth)
    client.put(f"{API}/settings/maintenance", json={"enabled": True}, headers=auth)

    redeploy = client.post(f"{API}/job/adder/0.0.1/redeploy", headers=auth)
    reprovision = client.post(f"{API}/job/adder/0.0.1/reprovision", headers=auth)
    edit = client.put(f"{API}/job/adder/0.0.1/manifest", json={"manifest_yaml": "x: 1"}, headers=auth)

    for response in (redeploy, reprovision, edit):
        assert response.status_code == 503
        assert (
            response.json()["error"] == "Racetrack is currently in maintenance mode. Please try again later."
        )


def test_redeploy_of_an_unknown_job_is_404_and_wait_false_returns_at_once(
    client: TestClient, auth: dict[str, str]
) -> None:
    assert client.post(f"{API}/job/nope/1.0.0/redeploy", headers=auth).status_code == 404
    deploy(client, auth)

    queued = client.post(f"{API}/job/adder/latest/redeploy", params={"wait": "false"}, headers=auth).json()

    assert queued["job_version"] == "0.0.1" and queued["kind"] == "redeploy"
    assert wait_for_deployment(client, queued["id"], auth)["status"] == "done"


class TwoTargetsPlugin(FakePlugin):
    """The fake job type with two targets: ``fake`` (default) and ``far``."""

    def __init__(self, near: FakeTarget, far: FakeTarget) -> None:
        super().__init__(near)
        self.far = far

    @hookimpl
    def racetrack_infrastructure_targets(
        self, register: Callable[[Any], None], context: PluginContext
    ) -> None:
        register(self.target)
        register(self.far)


@pytest.fixture
def two_targets(
    make_settings: Callable[..., LifecycleSettings], builder: FakeBuilder, tmp_path: Path
) -> Iterator[tuple[TestClient, FakeTarget, FakeTarget, TwoTargetsPlugin]]:
    near, far = FakeTarget("fake"), FakeTarget("far")
    plugin = TwoTargetsPlugin(near, far)
    settings = make_settings(infrastructure_target="fake")
    cipher = load_cipher(settings)
    engine = PluginEngine(tmp_path / "plugins", {}, cipher.encrypt, cipher.decrypt, extra_plugins=[plugin])
    with TestClient(create_app(settings, engine, artifact_builder=builder)) as client:
        yield client, near, far, plugin
    near.stop()
    far.stop()


def test_move_provisions_on_the_new_target_then_removes_the_job_from_the_old_one(
    two_targets: tuple[TestClient, FakeTarget, FakeTarget, TwoTargetsPlugin], builder: FakeBuilder
) -> None:
    client, near, far, plugin = two_targets
    auth = {"X-Racetrack-Auth": login(client)}
    first = _deploy_with_secrets(client, auth)
    assert first["infrastructure_target"] == "fake", first

    assert near.active[("adder", "0.0.1")]

    response = client.post(f"{API}/job/adder/0.0.1/move", json={"infrastructure_target": "far"}, headers=auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "move" and body["infrastructure_target"] == "far"
    assert far.active.get(("adder", "0.0.1")) == body["id"], (body, far.requests, near.active)
    assert near.deleted == [("adder", "0.0.1")] and near.serving("adder", "0.0.1") == []
    assert far.requests[-1].secret_env["API_KEY"] == "k3y-value"
    assert far.secrets[("adder", "0.0.1")].secret_runtime_env == {"API_KEY": "k3y-value"}  # moved along
    assert far.requests[-1].artifact == near.requests[-1].artifact and len(builder.builds) == 1
    assert client.get(f"{API}/job/adder/0.0.1", headers=auth).json()["infrastructure_target"] == "far"
    assert plugin.deleted == [("adder", "0.0.1", "admin")]
    events = client.get(f"{API}/audit/activity", headers=auth).json()["events"]
    assert events[0]["explanation"] == "Job adder 0.0.1 (owned by admin) moved by admin"
    assert events[0]["properties"]["from_target"] == "fake" and events[0]["properties"]["to_target"] == "far"


def test_move_to_the_same_or_an_unknown_target_is_refused(
    two_targets: tuple[TestClient, FakeTarget, FakeTarget, TwoTargetsPlugin],
) -> None:
    client, near, far, _ = two_targets
    auth = {"X-Racetrack-Auth": login(client)}
    deploy(client, auth)

    same = client.post(f"{API}/job/adder/0.0.1/move", json={"infrastructure_target": "fake"}, headers=auth)
    unknown = client.post(f"{API}/job/adder/0.0.1/move", json={"infrastructure_target": "mars"}, headers=auth)

    assert same.status_code == 400 and "already runs on fake" in same.json()["error"]
    assert unknown.status_code == 400 and "'mars' is not installed" in unknown.json()["error"]
    assert far.requests == [] and near.deleted == []


def test_failed_move_leaves_the_job_serving_where_it_was(
    two_targets: tuple[TestClient, FakeTarget, FakeTarget, TwoTargetsPlugin],
) -> None:
    client, near, far, _ = two_targets
    auth = {"X-Racetrack-Auth": login(client)}
    first = deploy(client, auth, runtime_env={"FAKE_BEHAVIOUR": "ok"})
    manifest_yaml = client.get(f"{API}/job/adder/0.0.1", headers=auth).json()["manifest_yaml"]
    client.put(
        f"{API}/job/adder/0.0.1/manifest",
        json={"manifest_yaml": manifest_yaml.replace("FAKE_BEHAVIOUR: ok", "FAKE_BEHAVIOUR: init-error")},
        headers=auth,
    )

    response = client.post(f"{API}/job/adder/0.0.1/move", json={"infrastructure_target": "far"}, headers=auth)

    assert response.status_code == 500 and "move of job adder v0.0.1 failed" in response.json()["error"]
    assert near.active[("adder", "0.0.1")] == first["id"] and near.deleted == []
    assert far.serving("adder", "0.0.1") == []
    assert client.get(f"{API}/job/adder/0.0.1", headers=auth).json()["infrastructure_target"] == "fake"
