"""The status sync loop against the fake target's listing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, update

from racetrack.lifecycle.db.models import Job
from racetrack.lifecycle.sync import DEPRECATED_JOB_TYPE_NOTICE
from tests.integration.lifecycle.lifecycle_fakes import FakeTarget
from tests.integration.lifecycle.lifecycle_support import TestClient, deploy

API = "/lifecycle/api/v1"


def sync(app: FastAPI) -> dict[str, int]:
    counts: dict[str, int] = app.state.lifecycle.sync.sync_once()
    return counts


def job_row(app: FastAPI, name: str = "adder", version: str = "0.0.1") -> Job:
    with app.state.lifecycle.db.session() as session:
        return session.scalars(select(Job).where(Job.name == name, Job.version == version)).one()


def test_sync_copies_status_and_marks_missing_jobs_lost(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth, name="adder")
    deploy(client, auth, name="bumper")
    target.active.pop(("bumper", "0.0.1"))  # the workload vanished

    counts = sync(app)

    assert counts["running"] == 1 and counts["lost"] == 1
    assert job_row(app, "bumper").status == "lost"
    adder = job_row(app)
    assert adder.status == "running"
    assert adder.last_call_time == datetime.fromtimestamp(1_700_000_000, UTC)
    metrics = client.get("/metrics").text
    assert 'jobs_count_by_status{status="lost"} 1.0' in metrics
    assert 'jobs_count_by_status{status="running"} 1.0' in metrics


def test_last_call_time_only_moves_forward(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth)
    later = datetime(2030, 1, 1, tzinfo=UTC)
    with app.state.lifecycle.db.session() as session:
        session.execute(update(Job).values(last_call_time=later))
    sync(app)
    assert job_row(app).last_call_time == later


def test_a_target_whose_listing_fails_is_skipped(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth)
    target.fail_listing = True
    sync(app)
    assert job_row(app).status == "running"


def test_orphaned_workloads_are_counted_never_adopted(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth)
    target.active[("stranger", "1.0.0")] = "someone-elses-deployment"
    counts = sync(app)
    assert counts["orphaned"] == 1
    assert [j["name"] for j in client.get(f"{API}/job", headers=auth).json()] == ["adder"]


def test_a_deleted_job_is_never_revived(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth)
    client.delete(f"{API}/job/adder/0.0.1", headers=auth)
    target.active[("adder", "0.0.1")] = "leftover"  # the workload came back somehow
    sync(app)
    assert client.get(f"{API}/job", headers=auth).json() == []


def test_a_job_type_no_longer_installed_gets_a_notice(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth)
    with app.state.lifecycle.db.session() as session:
        session.execute(update(Job).values(job_type_version="fake:0.1.0"))
    sync(app)
    assert job_row(app).notice == DEPRECATED_JOB_TYPE_NOTICE
    with app.state.lifecycle.db.session() as session:
        session.execute(update(Job).values(job_type_version="fake:1.0.0"))
    sync(app)
    assert job_row(app).notice is None


def test_the_loop_runs_in_the_background(make_app: Any, auth_for: Any, target: FakeTarget) -> None:
    app = make_app(sync_interval=0.1)
    with TestClient(app) as client:
        deploy(client, auth_for(client))
        target.active.clear()
        import time

        deadline = time.monotonic() + 5
        while job_row(app).status != "lost":
            assert time.monotonic() < deadline
            time.sleep(0.05)
