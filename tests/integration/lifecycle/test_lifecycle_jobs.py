"""Jobs through the API: list, read with aliases, delete, runtime logs and their stream."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from racetrack.lifecycle.db.models import AuditLogEvent, AuthResourcePermission, Job, TrashJob
from tests.integration.lifecycle.lifecycle_fakes import FakeBuilder, FakePlugin, FakeTarget
from tests.integration.lifecycle.lifecycle_support import TestClient, deploy, wait_for_deployment

API = "/lifecycle/api/v1"


def test_jobs_are_listed_newest_update_first(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth, name="adder")
    deploy(client, auth, name="bumper")
    deploy(client, auth, name="adder", version="0.0.2")

    jobs = client.get(f"{API}/job", headers=auth).json()

    assert [(j["name"], j["version"]) for j in jobs] == [
        ("adder", "0.0.2"),
        ("bumper", "0.0.1"),
        ("adder", "0.0.1"),
    ]


def test_version_aliases_pick_the_highest_stable_version(client: TestClient, auth: dict[str, str]) -> None:
    for version in ("0.0.1", "0.2.0", "1.0.0-rc.1"):
        deploy(client, auth, version=version)

    def version_of(alias: str) -> Any:
        response = client.get(f"{API}/job/adder/{alias}", headers=auth)
        return response.json()["version"] if response.status_code == 200 else response.status_code

    assert version_of("latest") == "0.2.0"
    assert version_of("0.x") == "0.2.0"
    assert version_of("0.0.x") == "0.0.1"
    assert version_of("1.0.0-rc.1") == "1.0.0-rc.1"
    assert version_of("2.x") == 404
    assert version_of("9.9.9") == 404


def test_delete_removes_the_job_keeps_a_trash_record_and_fires_the_hook(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget, plugin: FakePlugin
) -> None:
    deploy(client, auth)

    response = client.delete(f"{API}/job/adder/0.0.1", headers=auth)

    assert response.status_code == 200 and response.json() is None
    assert client.get(f"{API}/job/adder/0.0.1", headers=auth).status_code == 404
    assert target.deleted == [("adder", "0.0.1")] and target.serving("adder", "0.0.1") == []
    assert plugin.deleted == [("adder", "0.0.1", "admin")]
    with app.state.lifecycle.db.session() as session:
        assert session.scalars(select(Job)).all() == []
        trash = session.scalars(select(TrashJob)).one()
        assert (trash.name, trash.version, trash.deployed_by) == ("adder", "0.0.1", "admin")
        assert (
            session.scalars(
                select(AuthResourcePermission).where(AuthResourcePermission.job_id.is_not(None))
            ).all()
            == []
        )
        deleted = session.scalars(
            select(AuditLogEvent).where(AuditLogEvent.event_type == "job_deleted")
        ).one()
        assert deleted.username_subject == "admin"


def test_delete_takes_exact_versions_only(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth)
    response = client.delete(f"{API}/job/adder/latest", headers=auth)
    assert response.status_code == 404
    assert response.json() == {"error": "job adder vlatest was not found", "type": "NotFoundError"}


def test_deploy_and_delete_five_times_stays_consistent(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    for _ in range(5):
        assert deploy(client, auth, force=True)["status"] == "done"
        assert client.delete(f"{API}/job/adder/0.0.1", headers=auth).status_code == 200
    assert target.instances == []
    assert client.get(f"{API}/job", headers=auth).json() == []


def test_runtime_logs_come_from_the_target(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth)
    for i in range(30):
        target.log("adder", "0.0.1", f"\x1b[32mline {i}\x1b[0m")

    logs = client.get(f"{API}/job/adder/latest/logs?tail=2", headers=auth).json()["logs"]
    plain = client.get(f"{API}/job/adder/0.0.1/logs/plain?tail=2", headers=auth)

    assert logs == "\x1b[32mline 28\x1b[0m\n\x1b[32mline 29\x1b[0m"
    assert plain.text == "line 28\nline 29"
    assert plain.headers["content-type"].startswith("text/plain")
    assert len(client.get(f"{API}/job/adder/0.0.1/logs", headers=auth).json()["logs"].splitlines()) == 20


def test_log_stream_sends_the_tail_then_new_lines(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth)
    target.log("adder", "0.0.1", "before")

    def later() -> None:
        time.sleep(0.3)
        target.log("adder", "0.0.1", "after")

    threading.Thread(target=later, daemon=True).start()
    received: list[str] = []
    with client.stream("GET", f"{API}/job/adder/latest/logs/stream?tail=1", headers=auth) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            received.append(line)
            if line == "after":
                break
    assert received == ["before", "after"]


def test_build_logs_of_a_job_without_deployment_are_404(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get(f"{API}/job/nothing/0.0.1/build-logs", headers=auth)
    assert response.status_code == 404
    assert response.json()["error"] == "no deployment of job nothing v0.0.1 was found"


def test_build_logs_tail(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth)
    tail = client.get(f"{API}/job/adder/0.0.1/build-logs?tail=1", headers=auth).json()["logs"]
    assert tail == "--- post-deploy hooks\n"


def test_delete_is_refused_while_that_version_is_being_deployed(
    client: TestClient, auth: dict[str, str], builder: FakeBuilder
) -> None:
    deploy(client, auth)
    redeploy = deploy(client, auth, force=True, wait=False, build_env={"FAKE_BUILD": "wait"})
    try:
        response = client.delete(f"{API}/job/adder/0.0.1", headers=auth)
        assert response.status_code == 409
        assert response.json()["error"].startswith("There's already ongoing deployment of job adder 0.0.1")
    finally:
        builder.release.set()
    assert wait_for_deployment(client, redeploy["id"], auth)["status"] == "done"
