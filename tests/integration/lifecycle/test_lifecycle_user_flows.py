"""User account flows: registering (inactive until activated) and regenerating one's token."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from racetrack.lifecycle.db.models import AuthResourcePermission, AuthSubject, AuthToken, User
from racetrack.lifecycle.services.auth import NEW_USER_SCOPES
from racetrack.lifecycle.services.users import NOT_ACTIVATED
from tests.integration.lifecycle.lifecycle_support import INTERNAL_TOKEN, TestClient, deploy, login

API = "/lifecycle/api/v1"
USERNAME = "new.person@example.com"
PASSWORD = "Blue-Harbour-Lantern"


def hdr(token: str) -> dict[str, str]:
    return {"X-Racetrack-Auth": token}


def register(client: TestClient, username: str = USERNAME, password: str = PASSWORD) -> Any:
    return client.post(f"{API}/users/register", json={"username": username, "password": password})


def activate(app: FastAPI, username: str = USERNAME) -> None:
    with app.state.lifecycle.db.session() as session:
        session.execute(update(User).where(User.username == username).values(is_active=True))


def user_count(app: FastAPI) -> int:
    with app.state.lifecycle.db.session(readonly=True) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def subject_of(app: FastAPI, username: str) -> AuthSubject:
    with app.state.lifecycle.db.session(readonly=True) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        subject: AuthSubject = session.scalars(
            select(AuthSubject).where(AuthSubject.user_id == user.id)
        ).one()
        return subject


def test_registered_account_is_inactive_with_the_default_grants(app: FastAPI, client: TestClient) -> None:
    response = register(client)
    assert response.status_code == 200, response.text
    assert response.json()["username"] == USERNAME and response.json()["active"] is False
    assert PASSWORD not in response.text
    with app.state.lifecycle.db.session(readonly=True) as session:
        user = session.scalars(select(User).where(User.username == USERNAME)).one()
        assert user.is_active is False and user.is_staff is False and user.is_superuser is False
        assert user.password_hash != PASSWORD
    subject = subject_of(app, USERNAME)
    with app.state.lifecycle.db.session(readonly=True) as session:
        grants = session.execute(
            select(
                AuthResourcePermission.scope,
                AuthResourcePermission.job_family_id,
                AuthResourcePermission.job_id,
                AuthResourcePermission.endpoint,
            ).where(AuthResourcePermission.subject_id == subject.id)
        ).all()
    assert sorted(tuple(row) for row in grants) == sorted(
        (scope, None, None, None) for scope in NEW_USER_SCOPES
    )

    refused = client.post(f"{API}/users/login", json={"username": USERNAME, "password": PASSWORD})
    assert refused.status_code == 401
    assert refused.json()["error"] == NOT_ACTIVATED == "account not activated yet: ask a staff member"
    # the state of the account is not revealed without the right password
    wrong = client.post(f"{API}/users/login", json={"username": USERNAME, "password": "not-the-password"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "incorrect username or password"

    activate(app)
    token = login(client, USERNAME, PASSWORD)
    assert token.startswith("rt_u_")
    profile = client.get(f"{API}/users/validate_user_auth", headers=hdr(token)).json()
    assert profile == {"username": USERNAME, "token": token, "is_staff": False}
    assert client.get(f"{API}/job", headers=hdr(token)).status_code == 200


def test_deactivated_account_that_was_active_is_reported_disabled(app: FastAPI, client: TestClient) -> None:
    assert register(client).status_code == 200
    activate(app)
    login(client, USERNAME, PASSWORD)
    with app.state.lifecycle.db.session() as session:
        session.execute(update(User).where(User.username == USERNAME).values(is_active=False))
    refused = client.post(f"{API}/users/login", json={"username": USERNAME, "password": PASSWORD})
    assert refused.status_code == 401 and refused.json()["error"] == "user account is disabled"


@pytest.mark.parametrize(
    "username",
    [
        "plainname",
        "",
        "someone@",
        "@example.com",
        "two@at@example.com",
        "with space@example.com",
        "semi;colon@example.com",
        "x" * 140 + "@example.com",
    ],
)
def test_username_must_be_an_email(app: FastAPI, client: TestClient, username: str) -> None:
    response = register(client, username)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("You have to pass email as username")
    assert PASSWORD not in response.text
    assert user_count(app) == 1  # only the admin


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("", "Password cannot be empty."),
        ("Sh0rt-p", "This password is too short. It must contain at least 8 characters."),
        ("830571946215", "This password is entirely numeric."),
        (USERNAME, "The password cannot be the same as the username."),
        ("A@EXAMPLE.COM", "The password cannot be the same as the username."),
        ("password123", "This password is too common."),
    ],
)
def test_weak_passwords_are_refused_naming_the_rule(
    app: FastAPI, client: TestClient, password: str, rule: str
) -> None:
    username = "a@example.com" if password == "A@EXAMPLE.COM" else USERNAME
    response = register(client, username, password)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert rule in error
    if password and password.lower() != username.lower():
        assert password not in error
    assert user_count(app) == 1


def test_duplicate_username_is_a_conflict(app: FastAPI, client: TestClient) -> None:
    assert register(client).status_code == 200
    again = register(client, USERNAME, "Another-Long-Secret-9")
    assert again.status_code == 409
    assert again.json() == {"error": f"Username already exists: {USERNAME}", "type": "AlreadyExistsError"}
    assert "Another-Long-Secret-9" not in again.text
    assert user_count(app) == 2
    activate(app)
    login(client, USERNAME, PASSWORD)  # the first password still holds
    taken_admin = register(client, "admin", PASSWORD)
    assert taken_admin.status_code == 400  # "admin" is not an e-mail: the e-mail rule comes first


def test_regenerated_token_replaces_the_old_one_at_once(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="adder")
    assert register(client).status_code == 200
    activate(app)
    old = login(client, USERNAME, PASSWORD)
    assert (
        client.get(f"{API}/auth/can-call-job/adder/latest/api/v1/perform", headers=hdr(old)).status_code
        == 200
    )

    response = client.post(f"{API}/auth/token/user/regenerate", headers=hdr(old))
    assert response.status_code == 200, response.text
    new = response.json()["new_token"]
    assert set(response.json()) == {"new_token"}
    assert new.startswith("rt_u_") and new != old
    cookie = response.cookies.get("X-Racetrack-Auth")
    assert cookie is not None and unquote(cookie) == new
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "path=/" in set_cookie

    for path in ("/job", "/users/validate_user_auth", "/auth/can-call-job/adder/latest/api/v1/perform"):
        refused = client.get(f"{API}{path}", headers=hdr(old))
        assert refused.status_code == 401, path
        assert refused.json()["error"] == "wrong credentials: token is unknown", path
        assert old not in refused.text and new not in refused.text
    again = client.post(f"{API}/auth/token/user/regenerate", headers=hdr(old))
    assert again.status_code == 401 and old not in again.text

    assert client.get(f"{API}/job", headers=hdr(new)).status_code == 200
    allowed = client.get(f"{API}/auth/can-call-job/adder/latest/api/v1/perform", headers=hdr(new))
    assert allowed.status_code == 200 and allowed.json()["caller"] == f"User {USERNAME}"
    assert client.get(f"{API}/users/validate_user_auth", headers=hdr(new)).json()["token"] == new
    assert login(client, USERNAME, PASSWORD) == new


def test_regenerating_twice_leaves_one_token(app: FastAPI, client: TestClient, admin_token: str) -> None:
    first = client.post(f"{API}/auth/token/user/regenerate", headers=hdr(admin_token)).json()["new_token"]
    second = client.post(f"{API}/auth/token/user/regenerate", headers=hdr(first)).json()["new_token"]
    subject = subject_of(app, "admin")
    with app.state.lifecycle.db.session(readonly=True) as session:
        rows = session.scalars(select(AuthToken).where(AuthToken.subject_id == subject.id)).all()
        assert len(rows) == 1 and rows[0].active
    for stale in (admin_token, first):
        assert client.get(f"{API}/job", headers=hdr(stale)).status_code == 401
    assert client.get(f"{API}/job", headers=hdr(second)).status_code == 200


def test_only_a_user_token_can_be_regenerated(client: TestClient, auth: dict[str, str]) -> None:
    missing = client.post(f"{API}/auth/token/user/regenerate")
    assert missing.status_code == 401
    esc = client.post(f"{API}/escs", json={"name": "billing"}, headers=auth).json()
    for token in (INTERNAL_TOKEN, esc["token"]):
        refused = client.post(f"{API}/auth/token/user/regenerate", headers=hdr(token))
        assert refused.status_code == 401
        assert "a user's token is required" in refused.json()["error"]
        assert token not in refused.text
    assert client.get(f"{API}/escs", headers=auth).status_code == 200  # the admin's token is untouched
