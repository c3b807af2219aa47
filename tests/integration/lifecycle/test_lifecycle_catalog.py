"""Job families, the call graph, the portfolio and the platform overview through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select

from racetrack.lifecycle.db.models import AuthResourcePermission, Job, now
from tests.integration.lifecycle.lifecycle_support import INTERNAL_TOKEN, TestClient, deploy
from tests.integration.lifecycle.test_lifecycle_permissions_api import new_user

API = "/lifecycle/api/v1"
PUB = "http://pub.example:7205/pub"


def hdr(token: str) -> dict[str, str]:
    return {"X-Racetrack-Auth": token}


def grant(client: TestClient, auth: dict[str, str], **fields: Any) -> None:
    response = client.post(f"{API}/permissions", json=fields, headers=auth)
    assert response.status_code == 200, response.text


def user_with(
    app: FastAPI, client: TestClient, auth: dict[str, str], username: str, *grants: dict[str, Any]
) -> dict[str, str]:
    """A non-staff user holding only ``grants`` (its default grants removed)."""
    subject_id, token = new_user(app, username)
    with app.state.lifecycle.db.session() as session:
        session.execute(delete(AuthResourcePermission).where(AuthResourcePermission.subject_id == subject_id))
    for fields in grants:
        grant(client, auth, subject_type="user", subject=username, **fields)
    return hdr(token)


def esc(client: TestClient, auth: dict[str, str], name: str) -> str:
    created = client.post(f"{API}/escs", json={"name": name}, headers=auth)
    assert created.status_code == 200, created.text
    esc_id: str = created.json()["id"]
    return esc_id


def edges(graph: dict[str, Any]) -> set[tuple[str, str]]:
    return {(edge["from_id"], edge["to_id"]) for edge in graph["edges"]}


def test_job_families_are_filtered_by_read_job(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="alpha")
    deploy(client, auth, name="beta")
    on_family = user_with(app, client, auth, "fam@example.com", {"scope": "read_job", "job_family": "alpha"})
    on_job = user_with(
        app,
        client,
        auth,
        "job@example.com",
        {"scope": "read_job", "job_family": "beta", "job_version": "0.0.1"},
    )
    nothing = user_with(app, client, auth, "none@example.com")

    def names(headers: dict[str, str]) -> Any:
        response = client.get(f"{API}/job_family", headers=headers)
        assert response.status_code == 200, response.text
        return [family["name"] for family in response.json()]

    assert names(auth) == ["alpha", "beta"]
    assert names(on_family) == ["alpha"]
    assert names(on_job) == ["beta"]
    assert client.get(f"{API}/job_family", headers=nothing).status_code == 401
    assert client.get(f"{API}/job_family").status_code == 401


def test_graph_draws_an_edge_per_call_job_reach(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    for name in ("alpha", "beta", "gamma"):
        deploy(client, auth, name=name)
    deploy(client, auth, name="gamma", version="0.0.2")
    everything = esc(client, auth, "everything")
    one_family = esc(client, auth, "one-family")
    unused = esc(client, auth, "unused")
    grant(client, auth, subject_type="esc", subject=everything, scope="call_job")
    grant(client, auth, subject_type="esc", subject=one_family, scope="call_job", job_family="beta")
    grant(client, auth, subject_type="esc", subject=unused, scope="read_job")  # not a call grant
    grant(
        client,
        auth,
        subject_type="job_family",
        subject="alpha",
        scope="call_job",
        job_family="gamma",
        job_version="0.0.1",
    )
    grant(
        client,
        auth,
        subject_type="job_family",
        subject="beta",
        scope="call_job",
        job_family="alpha",
        endpoint="/api/v1/perform",
    )

    response = client.get(f"{API}/job/graph", headers=auth)

    assert response.status_code == 200, response.text
    graph = response.json()
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert set(nodes) == {
        "job-family-alpha",
        "job-family-beta",
        "job-family-gamma",
        f"esc-{everything}",
        f"esc-{one_family}",
        f"esc-{unused}",
    }
    assert nodes["job-family-gamma"] == {
        "id": "job-family-gamma",
        "type": "job-family",
        "title": "Job family: gamma",
        "subtitle": f"gamma v0.0.1: {PUB}/job/gamma/0.0.1\ngamma v0.0.2: {PUB}/job/gamma/0.0.2",
    }
    assert nodes[f"esc-{one_family}"] == {
        "id": f"esc-{one_family}",
        "type": "esc",
        "title": "ESC: one-family",
        "subtitle": f"ID: {one_family}",
    }
    assert edges(graph) == {
        (f"esc-{everything}", "job-family-alpha"),
        (f"esc-{everything}", "job-family-beta"),
        (f"esc-{everything}", "job-family-gamma"),
        (f"esc-{one_family}", "job-family-beta"),
        ("job-family-alpha", "job-family-gamma"),
        ("job-family-beta", "job-family-alpha"),
    }
    # the internal token (full_access) sees the same graph
    assert client.get(f"{API}/job/graph", headers=hdr(INTERNAL_TOKEN)).json() == graph


def test_graph_shows_non_staff_only_readable_families_and_no_escs(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    for name in ("alpha", "beta", "gamma"):
        deploy(client, auth, name=name)
    everything = esc(client, auth, "everything")
    grant(client, auth, subject_type="esc", subject=everything, scope="call_job")
    grant(client, auth, subject_type="job_family", subject="alpha", scope="call_job", job_family="gamma")
    grant(client, auth, subject_type="job_family", subject="alpha", scope="call_job", job_family="beta")
    grant(client, auth, subject_type="job_family", subject="beta", scope="call_job")
    reader = user_with(
        app,
        client,
        auth,
        "reader@example.com",
        {"scope": "read_job", "job_family": "alpha"},
        {"scope": "read_job", "job_family": "gamma"},
    )

    graph = client.get(f"{API}/job/graph", headers=reader).json()

    assert {node["id"] for node in graph["nodes"]} == {"job-family-alpha", "job-family-gamma"}
    assert edges(graph) == {("job-family-alpha", "job-family-gamma")}
    assert "beta" not in str(graph) and everything not in str(graph)


def test_graph_and_portfolio_of_an_empty_registry_are_empty(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get(f"{API}/job/graph", headers=auth).json()["nodes"] == []
    assert client.get(f"{API}/job/portfolio", headers=auth).json() == []


def _age(app: FastAPI, name: str, version: str, **fields: Any) -> None:
    with app.state.lifecycle.db.session() as session:
        job = session.scalars(select(Job).where(Job.name == name, Job.version == version)).one()
        for key, value in fields.items():
            setattr(job, key, value)


def test_portfolio_scores_and_orders_removal_candidates(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="alpha")
    deploy(client, auth, name="alpha", version="0.0.2")
    deploy(client, auth, name="beta")
    moment = now()
    _age(app, "alpha", "0.0.1", status="lost", update_time=moment - timedelta(days=40), last_call_time=None)
    _age(
        app,
        "beta",
        "0.0.1",
        status="error",
        update_time=moment - timedelta(days=10),
        last_call_time=moment - timedelta(days=15),
    )

    response = client.get(f"{API}/job/portfolio", headers=auth)

    assert response.status_code == 200, response.text
    rows = response.json()
    assert [(row["name"], row["version"]) for row in rows] == [
        ("alpha", "0.0.1"),
        ("beta", "0.0.1"),
        ("alpha", "0.0.2"),
    ]
    lost, failing, fresh = rows
    assert lost["purge_score"] == pytest.approx(61, abs=0.01)
    assert lost["purge_reasons"].splitlines() == [
        "Job is lost: it no longer runs on its infrastructure target.",
        "Job was never called.",
        "There is 1 newer version of this job.",
    ]
    assert lost["purge_newer_versions"] == 1
    assert lost["update_time_days_ago"] == pytest.approx(40, abs=0.01)
    assert lost["last_call_time_days_ago"] is None and lost["last_call_time"] is None
    assert failing["purge_score"] == pytest.approx(25, abs=0.01)
    assert failing["last_call_time_days_ago"] == pytest.approx(15, abs=0.01)
    assert failing["last_call_time"] == int((moment - timedelta(days=15)).timestamp())
    assert fresh["purge_score"] == 0 and fresh["purge_reasons"] == "" and fresh["purge_newer_versions"] == 0
    for row in rows:
        assert row["job_type_version"] == "fake:1.0.0"
        assert row["infrastructure_target"] == "fake"
        assert row["pub_url"] == f"{PUB}/job/{row['name']}/{row['version']}"
        assert row["create_time"] > 0 and row["update_time"] > 0 and row["status"]


def test_portfolio_shows_only_readable_jobs(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth, name="alpha")
    deploy(client, auth, name="beta")
    deploy(client, auth, name="beta", version="0.0.2")
    reader = user_with(
        app,
        client,
        auth,
        "reader@example.com",
        {"scope": "read_job", "job_family": "beta", "job_version": "0.0.1"},
    )

    rows = client.get(f"{API}/job/portfolio", headers=reader).json()

    assert [(row["name"], row["version"]) for row in rows] == [("beta", "0.0.1")]
    assert rows[0]["purge_newer_versions"] == 0  # versions the caller cannot read are not counted
    assert (
        client.get(f"{API}/job/portfolio", headers=user_with(app, client, auth, "x@example.com")).status_code
        == 401
    )


def test_platform_counts_jobs_per_job_type_and_target(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="alpha")
    deploy(client, auth, name="beta")
    _age(app, "beta", "0.0.1", job_type_version="fake:0.9.0")  # a job type no longer installed

    response = client.get(f"{API}/platform", headers=auth)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "plugins": [{"name": "fakes", "version": None, "category": "job-type", "url": None, "error": None}],
        "job_type_plugins_data": [
            {"name": "fakes", "version": None, "job_types": [{"name": "fake:1.0.0", "active_jobs": 1}]}
        ],
        "infrastructure_plugins_data": [
            {"name": "fakes", "version": None, "infrastructures": [{"name": "fake", "active_jobs": 2}]}
        ],
    }
    assert client.get(f"{API}/platform", headers=hdr(INTERNAL_TOKEN)).status_code == 200


def test_platform_is_staff_only(app: FastAPI, client: TestClient) -> None:
    _, token = new_user(app, "plain@example.com")

    refused = client.get(f"{API}/platform", headers=hdr(token))

    assert refused.status_code == 401
    assert refused.json() == {
        "error": "User plain@example.com is not a staff member",
        "type": "PermissionDeniedError",
    }
    assert client.get(f"{API}/platform").status_code == 401
    _, staff = new_user(app, "boss@example.com", is_staff=True)
    assert client.get(f"{API}/platform", headers=hdr(staff)).status_code == 200
