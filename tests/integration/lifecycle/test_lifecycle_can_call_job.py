"""PUB's contract: ``GET /auth/can-call-job/{name}/{version}/{endpoint}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, update

from racetrack.lifecycle.db.models import (
    AuthResourcePermission,
    AuthSubject,
    Job,
    JobFamily,
    PublicEndpointRequest,
)
from tests.integration.lifecycle.lifecycle_fakes import FakeTarget
from tests.integration.lifecycle.lifecycle_support import INTERNAL_TOKEN, TestClient, deploy

API = "/lifecycle/api/v1"


def can_call(client: TestClient, path: str, token: str | None = None) -> Any:
    headers = {"X-Racetrack-Auth": token} if token else {}
    return client.get(f"{API}/auth/can-call-job/{path}", headers=headers)


def test_user_may_call_and_gets_the_job_address(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth, replicas=2)

    response = can_call(client, "adder/latest/api/v1/perform", auth["X-Racetrack-Auth"])

    assert response.status_code == 200
    body = response.json()
    assert body["caller"] == "User admin"
    assert body["remote_gateway_url"] is None and body["remote_gateway_token"] is None
    addresses = [i.address for i in target.serving("adder", "0.0.1")]
    assert body["job"]["version"] == "0.0.1"
    assert body["job"]["internal_name"] == addresses[0]
    assert sorted(body["job"]["replica_internal_names"]) == sorted(addresses)


def test_calls_without_or_with_a_bad_token_are_401(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth)
    missing = can_call(client, "adder/0.0.1/api/v1/perform")
    assert missing.status_code == 401 and "error" in missing.json()
    assert can_call(client, "adder/0.0.1/api/v1/perform", "rt_e_forged").status_code == 401


def test_health_endpoints_are_open(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth)
    for endpoint in ("health", "live", "ready/"):
        response = can_call(client, f"adder/0.0.1/{endpoint}")
        assert response.status_code == 200, endpoint
        assert response.json()["caller"] is None


def test_approved_public_endpoints_open_by_whole_path_segments(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, public_endpoints=["/api/v1/webview"])
    assert can_call(client, "adder/0.0.1/api/v1/webview").status_code == 401  # not approved yet
    with app.state.lifecycle.db.session() as session:
        session.execute(update(PublicEndpointRequest).values(active=True))

    assert can_call(client, "adder/latest/api/v1/webview").status_code == 200
    assert can_call(client, "adder/0.0.1/api/v1/webview/static/app.js").status_code == 200
    assert can_call(client, "adder/0.0.1/api/v1/webviewer").status_code == 401
    assert can_call(client, "adder/0.0.1/api/v1/perform").status_code == 401


def test_job_family_needs_a_grant_to_call_another_job(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth, name="adder")
    deploy(client, auth, name="chain")
    chain_token = target.requests[-1].secret_env["AUTH_TOKEN"]

    denied = can_call(client, "adder/latest/api/v1/perform", chain_token)
    assert denied.status_code == 401
    assert denied.json()["error"] == "no permission to do this operation"

    with app.state.lifecycle.db.session() as session:
        chain_subject = session.scalars(
            select(AuthSubject)
            .join(JobFamily, JobFamily.id == AuthSubject.job_family_id)
            .where(JobFamily.name == "chain")
        ).one()
        adder = session.scalars(select(JobFamily).where(JobFamily.name == "adder")).one()
        session.add(
            AuthResourcePermission(subject_id=chain_subject.id, scope="call_job", job_family_id=adder.id)
        )

    allowed = can_call(client, "adder/latest/api/v1/perform", chain_token)
    assert allowed.status_code == 200
    assert allowed.json()["caller"] == "Job family chain"


def test_auth_debug_explains_a_refusal(make_app: Any, auth_for: Any, target: FakeTarget) -> None:
    with TestClient(make_app(auth_debug=True)) as client:
        headers = auth_for(client)
        deploy(client, headers, name="adder")
        deploy(client, headers, name="chain")
        response = can_call(
            client, "adder/0.0.1/api/v1/perform/", target.requests[-1].secret_env["AUTH_TOKEN"]
        )
    assert response.json()["error"] == (
        'no permission to do this operation: auth subject "Job family chain" does not have permission '
        'to access endpoint /api/v1/perform at resource "adder v0.0.1" with scope "call_job"'
    )


def test_unknown_or_not_running_jobs_are_404(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth)
    assert can_call(client, "nothing/latest/x", INTERNAL_TOKEN).status_code == 404
    assert can_call(client, "adder/9.9.9/x", INTERNAL_TOKEN).status_code == 404
    with app.state.lifecycle.db.session() as session:
        session.execute(update(Job).values(status="error"))
    response = can_call(client, "adder/0.0.1/x", INTERNAL_TOKEN)
    assert response.status_code == 404
    assert response.json()["error"] == "job adder v0.0.1 is not running (status: error)"


def test_without_auth_required_anyone_may_call(make_app: Any) -> None:
    with TestClient(make_app(auth_required=False)) as client:
        deploy(client, {})
        response = can_call(client, "adder/latest/api/v1/perform")
    assert response.status_code == 200 and response.json()["caller"] is None


def test_remote_gateway_of_the_target_is_reported(
    client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    target.remote_gateway_url = "http://10.0.0.7:7105/pub"
    target.remote_gateway_token = "gateway-secret"
    deploy(client, auth)
    body = can_call(client, "adder/0.0.1/x", INTERNAL_TOKEN).json()
    assert (body["remote_gateway_url"], body["remote_gateway_token"]) == (
        "http://10.0.0.7:7105/pub",
        "gateway-secret",
    )
