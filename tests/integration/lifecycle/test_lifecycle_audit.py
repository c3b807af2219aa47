"""The activity feed (``/audit``) and the deployments list, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from racetrack.lifecycle.db.models import AuditLogEvent, Deployment
from tests.integration.lifecycle.lifecycle_support import INTERNAL_TOKEN, TestClient, deploy, register_user

API = "/lifecycle/api/v1"


def add_events(app: FastAPI, *events: dict[str, Any]) -> None:
    """Insert events, the first one newest (one minute apart)."""
    start = datetime.now(UTC)
    with app.state.lifecycle.db.session() as session:
        for index, fields in enumerate(events):
            properties = fields.pop("properties", None)
            session.add(
                AuditLogEvent(
                    timestamp=start - timedelta(minutes=index),
                    properties=json.dumps(properties) if properties else None,
                    **fields,
                )
            )


def explanations(body: list[dict[str, Any]]) -> list[str]:
    return [event["explanation"] for event in body]


def test_deploy_redeploy_fail_and_delete_are_recorded_with_their_sentences(
    client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth)
    deploy(client, auth, force=True)
    assert deploy(client, auth, version="0.0.2", build_env={"FAKE_BUILD": "fail"})["status"] == "failed"
    assert client.delete(f"{API}/job/adder/0.0.1", headers=auth).status_code == 200

    body = client.get(f"{API}/audit/activity", headers=auth).json()

    assert body["filter_job_name"] is None and body["filter_job_version"] is None
    assert body["filter_related_to_me"] is False
    assert sorted(explanations(body["events"])) == sorted(
        [
            "Job adder 0.0.1 (owned by admin) deleted by admin",
            "Failed deployment of a job adder 0.0.2, attempted by admin",
            "Job adder 0.0.1 (owned by admin) redeployed by admin",
            "Job adder 0.0.1 deployed by admin",
        ]
    )
    event = body["events"][0]
    assert set(event) >= {
        "id",
        "version",
        "timestamp",
        "event_type",
        "properties",
        "username_executor",
        "username_subject",
        "job_name",
        "job_version",
        "explanation",
        "time_ago",
    }
    assert event["time_ago"] == "just now"
    timestamps = [e["timestamp"] for e in body["events"]]
    assert timestamps == sorted(timestamps, reverse=True)
    failed = next(e for e in body["events"] if e["event_type"] == "deployment_failed")
    assert failed["properties"]["error"] == "building image: pip failed: no matching distribution"


def test_activity_filters_and_related_to_me(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    add_events(
        app,
        {
            "event_type": "job_deployed",
            "username_executor": "bob",
            "job_name": "adder",
            "job_version": "1.0.0",
        },
        {
            "event_type": "job_deleted",
            "username_executor": "bob",
            "username_subject": "admin",
            "job_name": "adder",
            "job_version": "0.9.0",
        },
        {
            "event_type": "job_deployed",
            "username_executor": "admin",
            "job_name": "stats",
            "job_version": "1.0.0",
        },
        {
            "event_type": "plugin_installed",
            "username_executor": "admin",
            "properties": {"plugin_name": "docker", "plugin_version": "1.2.0"},
        },
    )
    everything = client.get(f"{API}/audit/activity", headers=auth).json()["events"]
    assert explanations(everything) == [
        "Job adder 1.0.0 deployed by bob",
        "Job adder 0.9.0 (owned by admin) deleted by bob",
        "Job stats 1.0.0 deployed by admin",
        "Plugin docker 1.2.0 installed by admin",
    ]
    assert [e["time_ago"] for e in everything] == [
        "just now",
        "a minute ago",
        "2 minutes ago",
        "3 minutes ago",
    ]

    by_job = client.get(f"{API}/audit/activity", params={"job_name": "adder"}, headers=auth).json()
    assert by_job["filter_job_name"] == "adder"
    assert [e["job_version"] for e in by_job["events"]] == ["1.0.0", "0.9.0"]
    by_version = client.get(
        f"{API}/audit/activity", params={"job_name": "adder", "job_version": "0.9.0"}, headers=auth
    ).json()
    assert by_version["filter_job_version"] == "0.9.0"
    assert [e["event_type"] for e in by_version["events"]] == ["job_deleted"]

    for flag in ("true", "yes", "1", "TRUE"):
        mine = client.get(f"{API}/audit/activity", params={"related_to_me": flag}, headers=auth).json()
        assert mine["filter_related_to_me"] is True
        assert [e["event_type"] for e in mine["events"]] == [
            "job_deleted",
            "job_deployed",
            "plugin_installed",
        ]
    for flag in ("false", "no", "0", ""):
        others = client.get(f"{API}/audit/activity", params={"related_to_me": flag}, headers=auth).json()
        assert others["filter_related_to_me"] is False and len(others["events"]) == 4


def test_user_events_and_events_paths(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    add_events(
        app,
        {
            "event_type": "job_deployed",
            "username_executor": "bob",
            "job_name": "adder",
            "job_version": "1.0.0",
        },
        {
            "event_type": "job_deployed",
            "username_executor": "admin",
            "job_name": "adder",
            "job_version": "0.9.0",
        },
        {
            "event_type": "job_deployed",
            "username_executor": "admin",
            "job_name": "stats",
            "job_version": "1.0.0",
        },
    )

    def versions(path: str, headers: dict[str, str] = auth) -> list[tuple[str, str]]:
        response = client.get(f"{API}/audit/{path}", headers=headers)
        assert response.status_code == 200, response.text
        return [(e["job_name"], e["job_version"]) for e in response.json()]

    assert versions("user_events") == [("adder", "0.9.0"), ("stats", "1.0.0")]
    assert versions("user_events/job/adder") == [("adder", "0.9.0")]
    assert versions("user_events/job/adder/1.0.0") == []
    assert versions("events") == [("adder", "1.0.0"), ("adder", "0.9.0"), ("stats", "1.0.0")]
    assert versions("events/job/adder") == [("adder", "1.0.0"), ("adder", "0.9.0")]
    assert versions("events/job/adder/1.0.0") == [("adder", "1.0.0")]
    internal = {"X-Racetrack-Auth": INTERNAL_TOKEN}
    assert len(versions("events", internal)) == 3
    assert client.get("/api/v1/audit/events/job/stats", headers=auth).status_code == 200


def test_activity_needs_a_users_token(client: TestClient) -> None:
    assert client.get(f"{API}/audit/activity").status_code == 401
    assert client.get(f"{API}/audit/events").status_code == 401
    internal = {"X-Racetrack-Auth": INTERNAL_TOKEN}
    for path in ("activity", "user_events"):
        response = client.get(f"{API}/audit/{path}", headers=internal)
        assert response.status_code == 401
        assert "user's token is required" in response.json()["error"]


def test_activity_answers_the_100_newest(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    add_events(
        app,
        *(
            {
                "event_type": "job_deployed",
                "username_executor": "admin",
                "job_name": "adder",
                "job_version": f"{i}",
            }
            for i in range(105)
        ),
    )
    events = client.get(f"{API}/audit/activity", headers=auth).json()["events"]
    assert len(events) == 100
    assert events[0]["job_version"] == "0" and events[-1]["job_version"] == "99"
    assert len(client.get(f"{API}/audit/events", headers=auth).json()) == 100
    assert len(client.get(f"{API}/audit/user_events", headers=auth).json()) == 100


def test_deployments_list_carries_status_phase_error_and_duration(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    done = deploy(client, auth)
    failed = deploy(client, auth, version="0.0.2", build_env={"FAKE_BUILD": "fail"})
    start = datetime.now(UTC) - timedelta(seconds=30)
    with app.state.lifecycle.db.session() as session:
        row = session.get(Deployment, done["id"])
        assert row is not None
        row.create_time, row.update_time = start, start + timedelta(seconds=12.5)
        session.add(
            Deployment(
                id="in-progress-deployment",
                status="in_progress",
                job_name="adder",
                job_version="0.0.3",
                deployed_by="admin",
                phase="building image",
                create_time=start,
                update_time=start + timedelta(seconds=60),
            )
        )

    items = client.get(f"{API}/deploy", params={"limit": 10}, headers=auth).json()

    by_id = {item["id"]: item for item in items}
    assert [item["id"] for item in items] == ["in-progress-deployment", failed["id"], done["id"]]
    assert by_id[done["id"]]["duration"] == 12.5
    assert by_id[done["id"]]["status"] == "done" and by_id[done["id"]]["phase"] is None
    assert by_id["in-progress-deployment"]["duration"] is None
    assert by_id["in-progress-deployment"]["phase"] == "building image"
    failure = by_id[failed["id"]]
    assert failure["status"] == "failed"
    assert failure["error"] == "building image: pip failed: no matching distribution"
    assert isinstance(failure["duration"], float) and 0 <= failure["duration"] < 20
    for item in items:
        assert {"job_name", "job_version", "deployed_by", "create_time", "update_time"} <= set(item)
        assert item["deployed_by"] == "admin"
    assert len(client.get(f"{API}/deploy", params={"limit": 1}, headers=auth).json()) == 1
    assert client.get(f"{API}/deploy/{done['id']}", headers=auth).json()["duration"] == 12.5


ENDPOINT_OF_ADDER = "endpoint /api/v1/perform of job adder 0.0.1"


def test_administration_changes_are_recorded_with_their_sentences(
    client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, public_endpoints=["/api/v1/webview"])
    register_user(client, auth, "ann@example.com")
    client.patch(
        f"{API}/users/ann@example.com",
        json={"is_staff": True, "password": "another-long-passphrase"},
        headers=auth,
    )
    grant = client.post(
        f"{API}/permissions",
        json={
            "subject_type": "user",
            "subject": "ann@example.com",
            "scope": "delete_job",
            "job_family": "adder",
            "job_version": "0.0.1",
            "endpoint": "/api/v1/perform",
        },
        headers=auth,
    ).json()
    client.delete(f"{API}/permissions/{grant['id']}", headers=auth)
    esc = client.post(f"{API}/escs", json={"name": "billing"}, headers=auth).json()
    client.post(f"{API}/auth/allow/esc/{esc['id']}/job/adder/scope/call_job", headers=auth)
    client.post(f"{API}/auth/allow/job_family/adder/job/adder/scope/call_job", headers=auth)
    client.patch(f"{API}/escs/{esc['id']}", json={"active": False, "expiry_time": 4102444800}, headers=auth)
    request = client.get(f"{API}/public-endpoints", headers=auth).json()[0]
    client.post(f"{API}/public-endpoints/{request['id']}/activate", headers=auth)
    client.put(f"{API}/settings/maintenance", json={"enabled": True}, headers=auth)
    client.put(f"{API}/settings/maintenance", json={"enabled": True}, headers=auth)  # no change: no event
    client.put(f"{API}/settings/maintenance", json={"enabled": False}, headers=auth)

    events = client.get(f"{API}/audit/activity", headers=auth).json()["events"]

    assert explanations(events)[:11] == [
        "Maintenance mode turned off by admin",
        "Maintenance mode turned on by admin",
        "Public endpoint /api/v1/webview of job adder 0.0.1 activated by admin",
        f"ESC billing ({esc['id']}) deactivated, set to expire at 2100-01-01 00:00:00 UTC by admin",
        "Permission call_job on job family adder granted to job family adder by admin",
        f"Permission call_job on job family adder granted to esc {esc['id']} by admin",
        f"ESC billing ({esc['id']}) created by admin",
        f"Permission delete_job on {ENDPOINT_OF_ADDER} revoked from user ann@example.com by admin",
        f"Permission delete_job on {ENDPOINT_OF_ADDER} granted to user ann@example.com by admin",
        "User ann@example.com password reset, made staff by admin",
        "User ann@example.com activated by admin",
    ]
    assert "User ann@example.com registered" in explanations(events)
    by_job = client.get(
        f"{API}/audit/activity", params={"job_name": "adder", "job_version": "0.0.1"}, headers=auth
    )
    assert any(e["event_type"] == "permission_granted" for e in by_job.json()["events"])


def test_administration_events_are_shown_to_staff_and_to_the_users_they_concern(
    client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth)
    bob = register_user(client, auth, "bob@example.com")
    carol = register_user(client, auth, "carol@example.com")
    client.post(f"{API}/escs", json={"name": "billing"}, headers=auth)

    def sentences(headers: dict[str, str], path: str = "audit/activity") -> list[str]:
        body = client.get(f"{API}/{path}", headers=headers).json()
        return explanations(body["events"] if isinstance(body, dict) else body)

    assert any(s.startswith("ESC billing") for s in sentences(auth))
    for path in ("audit/activity", "audit/events"):
        seen_by_bob = sentences(bob, path)
        assert "Job adder 0.0.1 deployed by admin" in seen_by_bob
        assert "User bob@example.com activated by admin" in seen_by_bob
        assert not any("carol" in s or "ESC" in s for s in seen_by_bob)
    assert not any("bob" in s for s in sentences(carol))
