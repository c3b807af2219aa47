"""Permissions through the API: default grants, filtered listing, BOLA, ESCs and granting."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import delete, select

from racetrack.lifecycle.db.models import AuthResourcePermission, AuthSubject, JobFamily, User
from racetrack.lifecycle.services.auth import SubjectKind
from tests.integration.lifecycle.lifecycle_fakes import FakeTarget
from tests.integration.lifecycle.lifecycle_support import INTERNAL_TOKEN, TestClient, deploy

API = "/lifecycle/api/v1"


def new_user(app: FastAPI, username: str, *, is_staff: bool = False) -> tuple[str, str]:
    """A user created like a registration (default grants); returns (subject id, token)."""
    lifecycle = app.state.lifecycle
    with lifecycle.db.session() as session:
        user = lifecycle.users.create_user(session, username, "x-long-password-1", is_staff=is_staff)
        subject = lifecycle.auth.user_subject(session, user)
        token = lifecycle.auth.current_token(session, subject, SubjectKind.USER)
        return subject.id, token


def grants_of(app: FastAPI, subject_id: str) -> list[tuple[Any, ...]]:
    with app.state.lifecycle.db.session(readonly=True) as session:
        rows = session.execute(
            select(
                AuthResourcePermission.scope,
                AuthResourcePermission.job_family_id,
                AuthResourcePermission.job_id,
                AuthResourcePermission.endpoint,
            ).where(AuthResourcePermission.subject_id == subject_id)
        ).all()
        return sorted((tuple(row) for row in rows), key=repr)


def family_token(app: FastAPI, name: str) -> str:
    lifecycle = app.state.lifecycle
    with lifecycle.db.session() as session:
        family = session.scalars(select(JobFamily).where(JobFamily.name == name)).one()
        subject = lifecycle.auth.family_subject(session, family)
        token: str = lifecycle.auth.current_token(session, subject, SubjectKind.JOB_FAMILY)
        return token


def can_call(client: TestClient, path: str, token: str) -> Any:
    return client.get(f"{API}/auth/can-call-job/{path}", headers={"X-Racetrack-Auth": token})


def hdr(token: str) -> dict[str, str]:
    return {"X-Racetrack-Auth": token}


def test_new_user_gets_the_default_grants_and_may_delete_only_own_jobs(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    subject_id, token = new_user(app, "dora@example.com")
    assert grants_of(app, subject_id) == [
        ("call_job", None, None, None),
        ("deploy_job", None, None, None),
        ("deploy_new_family", None, None, None),
        ("read_job", None, None, None),
    ]
    deploy(client, auth, name="admins")
    mine = deploy(client, hdr(token), name="mine")
    assert mine["status"] == "done", mine
    job_grants = [row[0] for row in grants_of(app, subject_id) if row[2] is not None]
    assert sorted(job_grants) == ["call_job", "delete_job", "deploy_job", "read_job"]

    assert {job["name"] for job in client.get(f"{API}/job", headers=hdr(token)).json()} == {"admins", "mine"}
    refused = client.delete(f"{API}/job/admins/0.0.1", headers=hdr(token))
    assert refused.status_code == 401
    assert refused.json()["error"] == "no permission to do this operation"
    assert client.delete(f"{API}/job/mine/0.0.1", headers=hdr(token)).status_code == 200
    # the admin (full_access) may delete anything
    assert client.delete(f"{API}/job/admins/0.0.1", headers=auth).status_code == 200


def test_user_sees_and_reads_only_permitted_families(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="adder")
    deploy(client, auth, name="adder", version="0.0.2")
    deploy(client, auth, name="secret")
    subject_id, token = new_user(app, "eve@example.com")
    with app.state.lifecycle.db.session() as session:
        session.execute(delete(AuthResourcePermission).where(AuthResourcePermission.subject_id == subject_id))
        adder = session.scalars(select(JobFamily).where(JobFamily.name == "adder")).one()
        session.add(AuthResourcePermission(subject_id=subject_id, scope="read_job", job_family_id=adder.id))

    listed = client.get(f"{API}/job", headers=hdr(token))
    assert listed.status_code == 200
    assert sorted((j["name"], j["version"]) for j in listed.json()) == [
        ("adder", "0.0.1"),
        ("adder", "0.0.2"),
    ]
    assert client.get(f"{API}/job/adder/latest", headers=hdr(token)).status_code == 200
    for path in ("secret/0.0.1", "secret/latest", "secret/0.0.1/logs", "secret/0.0.1/build-logs"):
        response = client.get(f"{API}/job/{path}", headers=hdr(token))
        assert response.status_code in (401, 403), (path, response.text)
        assert "secret" not in response.text
    assert client.delete(f"{API}/job/adder/0.0.1", headers=hdr(token)).status_code == 401
    # the admin still sees everything
    assert len(client.get(f"{API}/job", headers=auth).json()) == 3

    # without any read_job grant the listing itself is refused
    with app.state.lifecycle.db.session() as session:
        session.execute(delete(AuthResourcePermission).where(AuthResourcePermission.subject_id == subject_id))
    assert client.get(f"{API}/job", headers=hdr(token)).status_code == 401


def test_escs_are_created_and_listed_by_staff_only(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    created = client.post(f"{API}/escs", json={"name": "billing"}, headers=auth)
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["name"] == "billing" and body["token"].startswith("rt_e_") and body["id"]
    assert client.get(f"{API}/escs", headers=auth).json() == [
        {"id": body["id"], "name": "billing", "active": True, "expiry_time": None}
    ]
    assert client.get(f"{API}/escs", headers=hdr(INTERNAL_TOKEN)).status_code == 200
    duplicate = client.post(f"{API}/escs", json={"name": "again", "id": body["id"]}, headers=auth)
    assert duplicate.status_code == 409
    assert client.post(f"{API}/escs", json={"name": "  "}, headers=auth).status_code == 400

    _, plain = new_user(app, "plain@example.com")
    refused = client.get(f"{API}/escs", headers=hdr(plain))
    assert refused.status_code == 401
    assert refused.json()["error"] == "User plain@example.com is not a staff member"
    assert client.post(f"{API}/escs", json={"name": "x"}, headers=hdr(plain)).status_code == 401
    assert client.get(f"{API}/escs", headers=hdr(body["token"])).status_code == 401
    _, staff = new_user(app, "staff@example.com", is_staff=True)
    assert client.get(f"{API}/escs", headers=hdr(staff)).status_code == 200
    # an ESC gets no grants when created
    with app.state.lifecycle.db.session(readonly=True) as session:
        esc_subject = session.scalars(select(AuthSubject).where(AuthSubject.esc_id == body["id"])).one()
    assert grants_of(app, esc_subject.id) == []


def test_esc_granted_call_job_on_a_family_may_call_it(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="adder")
    deploy(client, auth, name="adder", version="0.0.2")
    deploy(client, auth, name="other")
    granted = client.post(f"{API}/escs", json={"name": "billing"}, headers=auth).json()
    ungranted = client.post(f"{API}/escs", json={"name": "stranger"}, headers=auth).json()
    assert can_call(client, "adder/latest/api/v1/perform", granted["token"]).status_code == 401

    response = client.post(f"{API}/auth/allow/esc/{granted['id']}/job/adder/scope/call_job", headers=auth)
    assert response.status_code == 200, response.text
    again = client.post(f"{API}/auth/allow/esc/{granted['id']}/job/adder/scope/call_job", headers=auth)
    assert again.status_code == 200  # idempotent
    with app.state.lifecycle.db.session(readonly=True) as session:
        esc_subject = session.scalars(select(AuthSubject).where(AuthSubject.esc_id == granted["id"])).one()
    assert len(grants_of(app, esc_subject.id)) == 1

    for version in ("0.0.1", "0.0.2", "latest"):
        allowed = can_call(client, f"adder/{version}/api/v1/perform", granted["token"])
        assert allowed.status_code == 200, allowed.text
        assert allowed.json()["caller"] == "ESC billing"
    assert can_call(client, "other/latest/api/v1/perform", granted["token"]).status_code == 401
    assert can_call(client, "adder/latest/api/v1/perform", ungranted["token"]).status_code == 401
    # call_job does not let it read or delete
    assert client.get(f"{API}/job/adder/0.0.1", headers=hdr(granted["token"])).status_code == 401
    assert client.delete(f"{API}/job/adder/0.0.1", headers=hdr(granted["token"])).status_code == 401


def test_granting_names_what_is_unknown_and_needs_call_admin_api(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="adder")
    esc = client.post(f"{API}/escs", json={"name": "billing"}, headers=auth).json()
    cases = {
        "/auth/allow/esc/no-such-esc/job/adder/scope/call_job": "ESC no-such-esc does not exist",
        f"/auth/allow/esc/{esc['id']}/job/nofamily/scope/call_job": "job family nofamily does not exist",
        f"/auth/allow/esc/{esc['id']}/job/adder/scope/call_fatman": "unknown scope: 'call_fatman'",
        "/auth/allow/job_family/ghost/job/adder/scope/call_job": "job family ghost does not exist",
        "/auth/allow/job_family/adder/job/ghost/scope/call_job": "job family ghost does not exist",
        "/auth/allow/job_family/adder/job/adder/scope/nope": "unknown scope: 'nope'",
    }
    for path, message in cases.items():
        response = client.post(f"{API}{path}", headers=auth)
        assert response.status_code == 400, (path, response.text)
        assert message in response.json()["error"]

    _, plain = new_user(app, "plain@example.com")
    for token in (plain, family_token(app, "adder"), esc["token"]):
        response = client.post(
            f"{API}/auth/allow/esc/{esc['id']}/job/adder/scope/call_job", headers=hdr(token)
        )
        assert response.status_code == 401
    assert client.post(f"{API}/auth/allow/job_family/adder/job/adder/scope/call_job").status_code == 401
    assert (
        client.post(
            f"{API}/auth/allow/esc/{esc['id']}/job/adder/scope/call_job", headers=hdr(INTERNAL_TOKEN)
        ).status_code
        == 200
    )


def test_family_to_family_grant_covers_every_version_one_way(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: FakeTarget
) -> None:
    deploy(client, auth, name="adder")
    deploy(client, auth, name="adder", version="0.0.2")
    deploy(client, auth, name="chain")
    deploy(client, auth, name="chain", version="0.0.2")
    chain = family_token(app, "chain")
    assert target.requests[-1].secret_env["AUTH_TOKEN"] == chain
    assert can_call(client, "adder/latest/api/v1/perform", chain).status_code == 401

    response = client.post(f"{API}/auth/allow/job_family/chain/job/adder/scope/call_job", headers=auth)
    assert response.status_code == 200, response.text

    for version in ("0.0.1", "0.0.2", "latest"):
        allowed = can_call(client, f"adder/{version}/api/v1/perform", chain)
        assert allowed.status_code == 200
        assert allowed.json()["caller"] == "Job family chain"
    # one way only
    assert can_call(client, "chain/latest/api/v1/perform", family_token(app, "adder")).status_code == 401
    # a version deployed later is covered too
    deploy(client, auth, name="adder", version="0.0.3")
    assert can_call(client, "adder/0.0.3/api/v1/perform", chain).status_code == 200


def test_admin_keeps_full_access(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    with app.state.lifecycle.db.session(readonly=True) as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        subject = session.scalars(select(AuthSubject).where(AuthSubject.user_id == admin.id)).one()
    assert ("full_access", None, None, None) in grants_of(app, subject.id)
    deploy(client, auth, name="adder")
    assert client.get(f"{API}/job", headers=auth).status_code == 200
    assert can_call(client, "adder/latest/api/v1/perform", auth["X-Racetrack-Auth"]).status_code == 200
    assert client.get(f"{API}/escs", headers=auth).status_code == 200
