"""The deployment worker: claiming, halting deployments of dead processes, stopping."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import AuditLogEvent, Deployment, Job, JobFamily, now
from racetrack.lifecycle.worker import HALTED_MESSAGE, DeploymentWorker
from tests.integration.lifecycle.lifecycle_fakes import FakeBuilder, FakeTarget
from tests.integration.lifecycle.lifecycle_support import TestClient, deploy, wait_for_deployment

API = "/lifecycle/api/v1"


def _in_progress(db: Database, *, owner: str | None, heartbeat_age: float, started: bool = True) -> str:
    moment = now() - timedelta(seconds=heartbeat_age)
    with db.session() as session:
        row = Deployment(
            status="in_progress",
            job_name="adder",
            job_version="0.0.1",
            owner=owner,
            start_time=moment if started else None,
            heartbeat_time=moment if started else None,
            update_time=moment,
            create_time=moment,
        )
        session.add(row)
        session.flush()
        return row.id


def test_deployments_of_a_previous_process_are_halted_at_restart(make_app: Any, auth_for: Any) -> None:
    first = make_app()
    with TestClient(first):
        db = first.state.lifecycle.db
        stale = _in_progress(db, owner="dead-instance", heartbeat_age=3600)
        recent = _in_progress(db, owner="previous-instance", heartbeat_age=1)

    second = make_app()
    with TestClient(second) as client:
        headers = auth_for(client)
        stale_dto = client.get(f"{API}/deploy/{stale}", headers=headers).json()
        recent_dto = client.get(f"{API}/deploy/{recent}", headers=headers).json()
        assert (stale_dto["status"], stale_dto["error"]) == ("failed", HALTED_MESSAGE)
        if second.state.lifecycle.db.is_postgres:
            # another replica may still be alive: only a stale heartbeat means its process is gone
            assert recent_dto["status"] == "in_progress"
        else:
            assert (recent_dto["status"], recent_dto["error"]) == ("failed", HALTED_MESSAGE)
        with second.state.lifecycle.db.session() as session:
            events = session.scalars(select(AuditLogEvent.event_type)).all()
            assert "deployment_failed" in events


def test_halting_removes_the_unfinished_first_deployment_of_a_job(
    make_app: Any, auth_for: Any, target: FakeTarget
) -> None:
    first = make_app()
    with TestClient(first):
        db = first.state.lifecycle.db
        stale = _in_progress(db, owner="dead-instance", heartbeat_age=3600)
        with db.session() as session:
            family = JobFamily(name="adder")
            session.add(family)
            session.flush()
            session.add(
                Job(
                    name="adder", version="0.0.1", family_id=family.id, status="starting", deployment_id=stale
                )
            )
            session.execute(
                update(Deployment).where(Deployment.id == stale).values(infrastructure_target="fake")
            )
    with TestClient(make_app()) as client:
        assert client.get(f"{API}/job", headers=auth_for(client)).json() == []
    assert ("adder", "0.0.1", stale) in target.abandoned


def test_a_deployment_whose_heartbeat_stopped_is_halted_by_the_periodic_check(make_app: Any) -> None:
    app = make_app(deployment_stale_after=0.5)
    with TestClient(app):
        worker: DeploymentWorker = app.state.lifecycle.worker
        db = app.state.lifecycle.db
        lost = _in_progress(db, owner="crashed-replica", heartbeat_age=0)
        assert worker.halt_abandoned() == []
        time.sleep(0.6)
        assert worker.halt_abandoned() == [lost]


def test_running_deployments_keep_their_heartbeat(make_app: Any, auth_for: Any, builder: FakeBuilder) -> None:
    app = make_app(deployment_stale_after=0.6)
    with TestClient(app) as client:
        headers = auth_for(client)
        started = deploy(client, headers, wait=False, build_env={"FAKE_BUILD": "wait"})
        time.sleep(1.0)
        assert app.state.lifecycle.worker.halt_abandoned() == []
        builder.release.set()
        assert wait_for_deployment(client, started["id"], headers)["status"] == "done"


def test_a_queued_deployment_is_claimed_exactly_once(make_app: Any) -> None:
    app = make_app()
    with TestClient(app):
        state = app.state.lifecycle
        state.worker.stop()  # claim by hand
        queued = _in_progress(state.db, owner=state.instance_id, heartbeat_age=0, started=False)
        claims: list[str | None] = []
        threads = [
            threading.Thread(target=lambda: claims.append(state.worker.claim_next())) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(claims, key=str) == sorted([queued, None, None, None], key=str)
        other = _in_progress(state.db, owner="someone-else", heartbeat_age=0, started=False)
        assert state.worker.claim_next() is None
        with state.db.session() as session:
            row = session.get(Deployment, other)
            assert row is not None and row.start_time is None


def test_stopping_the_app_halts_a_deployment_waiting_for_its_job(make_app: Any, auth_for: Any) -> None:
    app = make_app(timeout_until_job_ready=60)
    with TestClient(app) as client:
        headers = auth_for(client)
        started = deploy(client, headers, wait=False, runtime_env={"FAKE_BEHAVIOUR": "never-ready"})
        deadline = time.monotonic() + 10
        while (
            client.get(f"{API}/deploy/{started['id']}", headers=headers).json()["phase"]
            != "initializing Job entrypoint"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        begun = time.monotonic()
    assert time.monotonic() - begun < 5
    with app.state.lifecycle.db.session() as session:
        row = session.get(Deployment, started["id"])
        assert row is not None
        assert (row.status, row.error) == ("failed", "halted due to server shutdown")


@pytest.mark.parametrize("workers", [2])
def test_deployments_of_different_jobs_run_in_parallel(
    make_app: Any, auth_for: Any, builder: FakeBuilder, workers: int
) -> None:
    app = make_app(deployment_workers=workers)
    with TestClient(app) as client:
        headers = auth_for(client)
        first = deploy(client, headers, wait=False, name="one", build_env={"FAKE_BUILD": "wait"})
        second = deploy(client, headers, wait=False, name="two", build_env={"FAKE_BUILD": "wait"})
        deadline = time.monotonic() + 10
        while len(builder.builds) < 2:
            assert time.monotonic() < deadline, "the second deployment did not start beside the first"
            time.sleep(0.05)
        builder.release.set()
        assert wait_for_deployment(client, first["id"], headers)["status"] == "done"
        assert wait_for_deployment(client, second["id"], headers)["status"] == "done"
