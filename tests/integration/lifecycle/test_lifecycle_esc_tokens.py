"""ESC tokens: reading one back (staff), revoking an ESC and letting its access expire."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from fastapi import FastAPI
from loguru import logger
from sqlalchemy import select

from racetrack.lifecycle.db.models import AuthSubject
from racetrack.lifecycle.services.auth import SubjectKind
from tests.integration.lifecycle.lifecycle_support import INTERNAL_TOKEN, TestClient, deploy

API = "/lifecycle/api/v1"
PERFORM = f"{API}/auth/can-call-job/adder/latest/api/v1/perform"


def hdr(token: str) -> dict[str, str]:
    return {"X-Racetrack-Auth": token}


def plain_user(app: FastAPI, username: str = "plain@example.com", *, is_staff: bool = False) -> str:
    lifecycle = app.state.lifecycle
    with lifecycle.db.session() as session:
        user = lifecycle.users.create_user(session, username, "x-long-password-1", is_staff=is_staff)
        token: str = lifecycle.auth.current_token(
            session, lifecycle.auth.user_subject(session, user), SubjectKind.USER
        )
        return token


def callable_esc(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    """An ESC allowed to call every version of ``adder`` (deployed here)."""
    deploy(client, auth, name="adder")
    esc: dict[str, Any] = client.post(f"{API}/escs", json={"name": "billing"}, headers=auth).json()
    granted = client.post(f"{API}/auth/allow/esc/{esc['id']}/job/adder/scope/call_job", headers=auth)
    assert granted.status_code == 200, granted.text
    assert client.get(PERFORM, headers=hdr(esc["token"])).status_code == 200
    return esc


def patch(client: TestClient, esc_id: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.patch(f"{API}/escs/{esc_id}", json=body, headers=headers)


def test_staff_can_read_an_esc_token(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    esc = client.post(f"{API}/escs", json={"name": "billing"}, headers=auth).json()
    for headers in (auth, hdr(INTERNAL_TOKEN), hdr(plain_user(app, "staff@example.com", is_staff=True))):
        response = client.get(f"{API}/auth/token/esc/{esc['id']}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"token": esc["token"]}

    for token in (plain_user(app), esc["token"]):
        refused = client.get(f"{API}/auth/token/esc/{esc['id']}", headers=hdr(token))
        assert refused.status_code == 401
        assert esc["token"] not in refused.text and token not in refused.text
    assert client.get(f"{API}/auth/token/esc/{esc['id']}").status_code == 401
    unknown = client.get(f"{API}/auth/token/esc/no-such-esc", headers=auth)
    assert unknown.status_code == 404 and unknown.json()["error"] == "ESC no-such-esc does not exist"


def test_deactivated_esc_is_revoked_until_reactivated(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    esc = callable_esc(client, auth)
    response = patch(client, esc["id"], {"active": False}, auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": esc["id"], "name": "billing", "active": False, "expiry_time": None}
    assert esc["token"] not in response.text

    revoked = client.get(PERFORM, headers=hdr(esc["token"]))
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "subject access has been revoked"
    assert esc["token"] not in revoked.text
    # a staff member can still read its token (e.g. to hand it over again after reactivation)
    assert client.get(f"{API}/auth/token/esc/{esc['id']}", headers=auth).json() == {"token": esc["token"]}

    assert patch(client, esc["id"], {"active": True}, auth).json()["active"] is True
    assert client.get(PERFORM, headers=hdr(esc["token"])).status_code == 200


def test_esc_access_expires(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    esc = callable_esc(client, auth)
    past = int(time.time()) - 5
    response = patch(client, esc["id"], {"expiry_time": past}, auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": esc["id"], "name": "billing", "active": True, "expiry_time": past}
    expired = client.get(PERFORM, headers=hdr(esc["token"]))
    assert expired.status_code == 401 and expired.json()["error"] == "subject access has expired"
    assert esc["token"] not in expired.text

    future = int(time.time()) + 3600
    assert patch(client, esc["id"], {"expiry_time": future}, auth).json()["expiry_time"] == future
    assert client.get(PERFORM, headers=hdr(esc["token"])).status_code == 200

    # only the fields sent change: deactivating keeps the expiry, null removes it
    assert patch(client, esc["id"], {"active": False}, auth).json() == {
        "id": esc["id"],
        "name": "billing",
        "active": False,
        "expiry_time": future,
    }
    cleared = patch(client, esc["id"], {"expiry_time": None, "active": True}, auth).json()
    assert cleared["expiry_time"] is None and cleared["active"] is True
    assert patch(client, esc["id"], {}, auth).json() == cleared
    with app.state.lifecycle.db.session(readonly=True) as session:
        subject = session.scalars(select(AuthSubject).where(AuthSubject.esc_id == esc["id"])).one()
        assert subject.active is True and subject.expiry_time is None
    assert client.get(PERFORM, headers=hdr(esc["token"])).status_code == 200


def test_changing_an_esc_needs_staff_and_valid_input(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    esc = client.post(f"{API}/escs", json={"name": "billing"}, headers=auth).json()
    for token in (plain_user(app), esc["token"]):
        refused = patch(client, esc["id"], {"active": False}, hdr(token))
        assert refused.status_code == 401
        assert token not in refused.text
    assert patch(client, esc["id"], {"active": False}, {}).status_code == 401
    assert patch(client, esc["id"], {"active": False}, hdr(INTERNAL_TOKEN)).status_code == 200
    assert patch(client, esc["id"], {"active": True}, auth).status_code == 200

    unknown = patch(client, "no-such-esc", {"active": False}, auth)
    assert unknown.status_code == 404 and unknown.json()["error"] == "ESC no-such-esc does not exist"
    negative = patch(client, esc["id"], {"expiry_time": -1}, auth)
    assert negative.status_code == 400 and "expiry_time" in negative.json()["error"]
    huge = patch(client, esc["id"], {"expiry_time": 10**18}, auth)
    assert huge.status_code == 400 and "expiry_time" in huge.json()["error"]
    assert patch(client, esc["id"], {"expiry_time": "soon"}, auth).status_code in (400, 422)
    # nothing of the refused changes stuck
    assert client.get(f"{API}/auth/token/esc/{esc['id']}", headers=auth).json() == {"token": esc["token"]}
    with app.state.lifecycle.db.session(readonly=True) as session:
        subject = session.scalars(select(AuthSubject).where(AuthSubject.esc_id == esc["id"])).one()
        assert subject.active is True and subject.expiry_time is None


def legacy_token(esc_id: str, api_key: str = "k3y-from-the-old-installation") -> str:
    return base64.b64encode(json.dumps({"esc-id": esc_id, "api-key": api_key}).encode()).decode()


def test_an_imported_legacy_esc_token_is_accepted_in_the_legacy_header(
    client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="adder")
    token = legacy_token("esc-2019")
    created = client.post(f"{API}/escs", json={"name": "old billing", "legacy_token": token}, headers=auth)
    assert created.status_code == 200, created.text
    assert (created.json()["id"], created.json()["token"]) == ("esc-2019", token)
    client.post(f"{API}/auth/allow/esc/esc-2019/job/adder/scope/call_job", headers=auth)
    messages: list[str] = []
    sink = logger.add(lambda message: messages.append(str(message)), level="WARNING")
    try:
        assert client.get(PERFORM, headers={"X-Racetrack-Esc-Auth": token}).status_code == 200
    finally:
        logger.remove(sink)
    assert any("legacy (pre-2.0) ESC token was used" in message for message in messages)
    assert (
        client.get(PERFORM, headers={"X-Racetrack-Esc-Auth": legacy_token("esc-2019", "guess")}).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"legacy_token": "not base64 at all!"}, "legacy_token must be a pre-2.0 ESC token"),
        ({"legacy_token": base64.b64encode(b'{"esc-id": "x"}').decode()}, "legacy_token must be a pre-2.0"),
        (
            {"legacy_token": legacy_token("esc-a"), "id": "esc-b"},
            "the legacy token belongs to ESC esc-a, not esc-b",
        ),
    ],
)
def test_a_malformed_legacy_token_is_refused_with_the_expected_form(
    client: TestClient, auth: dict[str, str], body: dict[str, str], error: str
) -> None:
    response = client.post(f"{API}/escs", json={"name": "old", **body}, headers=auth)
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert "k3y-from-the-old-installation" not in response.text
