"""Users and tokens: the first admin, login and its rate limit, token storage, passwords."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from loguru import logger
from sqlalchemy import delete, select, text, update

from racetrack.lifecycle.db.models import AuthSubject, AuthToken, Base, JobFamily, User, now
from racetrack.lifecycle.services.auth import SubjectKind
from tests.integration.lifecycle.lifecycle_support import (
    ADMIN_PASSWORD,
    INTERNAL_TOKEN,
    TestClient,
    deploy,
    login,
)

API = "/lifecycle/api/v1"


def lifecycle(app: FastAPI) -> Any:
    return app.state.lifecycle


def test_api_calls_need_a_token(client: TestClient) -> None:
    response = client.get(f"{API}/job")
    assert response.status_code == 401
    assert response.json() == {
        "error": "auth token not found in a header X-Racetrack-Auth",
        "type": "AuthenticationError",
    }
    unknown = client.get(f"{API}/job", headers={"X-Racetrack-Auth": "rt_u_nonsense"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "wrong credentials: token is unknown"


def test_legacy_auth_headers_are_accepted(client: TestClient, admin_token: str) -> None:
    for header in ("X-Racetrack-User-Auth", "X-Racetrack-Esc-Auth", "X-Racetrack-Fatman-Auth"):
        assert client.get(f"{API}/job", headers={header: admin_token}).status_code == 200, header


def test_internal_token_has_full_access(client: TestClient) -> None:
    assert client.get(f"{API}/job", headers={"X-Racetrack-Auth": INTERNAL_TOKEN}).status_code == 200


def test_without_auth_required_no_token_is_needed(make_app: Any) -> None:
    with TestClient(make_app(auth_required=False)) as client:
        assert client.get(f"{API}/job").status_code == 200
        assert client.get(f"{API}/job", headers={"X-Racetrack-Auth": "forged"}).status_code == 200
        assert deploy(client, {"X-Racetrack-Auth": "forged"})["status"] == "done"
        assert client.get(f"{API}/info").json()["auth_required"] is False


def test_first_admin_is_created_once_with_the_configured_password(make_app: Any) -> None:
    with TestClient(make_app()) as client:
        token = login(client, "admin", ADMIN_PASSWORD)
        assert token.startswith("rt_u_")
        profile = client.get(f"{API}/users/validate_user_auth", headers={"X-Racetrack-Auth": token}).json()
        assert profile == {"username": "admin", "token": token, "is_staff": True}
    with TestClient(make_app(admin_password="another-password-2")) as client:
        assert login(client, "admin", ADMIN_PASSWORD) == token
        with lifecycle(client.app).db.session() as session:
            session.execute(delete(User).where(User.username == "admin"))
    with TestClient(make_app()) as client:
        with lifecycle(client.app).db.session() as session:
            assert session.scalars(select(User)).all() == []


def test_generated_admin_password_is_shown_once(make_app: Any) -> None:
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="INFO")
    try:
        with TestClient(make_app(admin_password=None)):
            pass
        with TestClient(make_app(admin_password=None)):
            pass
    finally:
        logger.remove(sink)
    shown = [line for line in lines if "Log in with: racetrack login --username admin" in line]
    assert len(shown) == 1
    password = shown[0].split("(password: ")[1].split(")")[0]
    with TestClient(make_app(admin_password=None)) as client:
        assert login(client, "admin", password).startswith("rt_u_")


def test_wrong_password_is_refused(client: TestClient) -> None:
    response = client.post(f"{API}/users/login", json={"username": "admin", "password": "nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "incorrect username or password"
    missing = client.post(f"{API}/users/login", json={"username": "admin"})
    assert missing.status_code == 400 and "password: Field required" in missing.json()["error"]


def test_failed_logins_are_rate_limited_per_user_and_client(client: TestClient) -> None:
    for _ in range(5):
        assert (
            client.post(f"{API}/users/login", json={"username": "admin", "password": "x"}).status_code == 401
        )
    limited = client.post(f"{API}/users/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert limited.status_code == 429
    assert limited.json()["error"].startswith("too many failed login attempts for user admin; try again in")
    other_user = client.post(f"{API}/users/login", json={"username": "someone", "password": "x"})
    assert other_user.status_code == 401


def test_failed_logins_from_one_address_for_many_users_are_rate_limited(client: TestClient) -> None:
    for index in range(20):  # login_attempts_per_client_limit
        response = client.post(f"{API}/users/login", json={"username": f"u{index}@x.org", "password": "x"})
        assert response.status_code == 401
    limited = client.post(f"{API}/users/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert limited.status_code == 429
    assert limited.json()["error"].startswith(
        "too many failed login attempts from your address; try again in"
    )


def test_behind_a_trusted_proxy_limits_count_the_forwarded_client(make_app: Any) -> None:
    app = make_app(trusted_proxies="10.0.0.0/8, 192.168.7.7")
    with TestClient(app, client=("10.1.2.3", 40000)) as proxy:
        for index in range(20):  # login_attempts_per_client_limit, all from one client
            response = proxy.post(
                f"{API}/users/login",
                json={"username": f"u{index}@x.org", "password": "x"},
                headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9, 192.168.7.7"},
            )
            assert response.status_code == 401
        spraying = proxy.post(
            f"{API}/users/login",
            json={"username": "admin", "password": ADMIN_PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.9"},  # the hop nearest the proxies counts
        )
        assert spraying.status_code == 429
        someone_else = proxy.post(
            f"{API}/users/login",
            json={"username": "admin", "password": ADMIN_PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.10"},
        )
        assert someone_else.status_code == 200
    with TestClient(app, client=("172.16.0.1", 40000)) as untrusted:  # forwarded addresses ignored
        for index in range(20):
            untrusted.post(
                f"{API}/users/login",
                json={"username": f"v{index}@x.org", "password": "x"},
                headers={"X-Forwarded-For": f"203.0.113.{100 + index}"},
            )
        refused = untrusted.post(f"{API}/users/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert refused.status_code == 429


def test_a_malformed_trusted_proxies_setting_names_the_bad_entry(make_settings: Any) -> None:
    with pytest.raises(ValueError, match="'10.0.0.300' is not an IP address or network; expected e.g."):
        make_settings(trusted_proxies="10.0.0.0/8,10.0.0.300")


def test_with_a_cluster_domain_the_cookie_is_shared_by_the_cluster_host(make_app: Any) -> None:
    with TestClient(make_app(cluster_fqdn="example.com")) as client:
        response = client.post(f"{API}/users/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert "Domain=racetrack.example.com" in response.headers["set-cookie"]
        logout = client.get(f"{API}/users/logout")
        assert "Domain=racetrack.example.com" in logout.headers["set-cookie"]
        info = client.get(f"{API}/info").json()
        assert info["lifecycle_url"] == "https://racetrack.example.com/lifecycle"


def test_login_sets_the_auth_cookie_and_logout_deletes_it(client: TestClient) -> None:
    response = client.post(f"{API}/users/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("X-Racetrack-Auth=rt_u_")
    assert (
        "HttpOnly" in cookie
        and "SameSite=lax" in cookie
        and "Path=/" in cookie
        and "Max-Age=2678400" in cookie
    )
    assert "Secure" not in cookie
    logout = client.get(f"{API}/users/logout")
    assert logout.status_code == 200
    assert (
        'X-Racetrack-Auth=""' in logout.headers["set-cookie"] or "Max-Age=0" in logout.headers["set-cookie"]
    )


def test_change_password_checks_the_old_one_and_keeps_the_token(
    client: TestClient, auth: dict[str, str]
) -> None:
    url = f"{API}/users/change_password"
    wrong = client.put(url, json={"old_password": "bad", "new_password": "a-new-password-9"}, headers=auth)
    assert wrong.status_code == 401 and wrong.json()["error"] == "Passed password is incorrect."
    weak = client.put(url, json={"old_password": ADMIN_PASSWORD, "new_password": "1234"}, headers=auth)
    assert weak.status_code == 400 and weak.json()["error"].startswith("Invalid password: ")
    empty = client.put(url, json={"old_password": ADMIN_PASSWORD, "new_password": ""}, headers=auth)
    assert empty.status_code == 400
    ok = client.put(
        url, json={"old_password": ADMIN_PASSWORD, "new_password": "a-new-password-9"}, headers=auth
    )
    assert ok.status_code == 200
    assert login(client, "admin", "a-new-password-9") == auth["X-Racetrack-Auth"]


def test_validate_user_auth_refuses_non_user_tokens(client: TestClient) -> None:
    response = client.get(f"{API}/users/validate_user_auth", headers={"X-Racetrack-Auth": INTERNAL_TOKEN})
    assert response.status_code == 401
    assert "wrong subject type" in response.json()["error"]


def test_revoked_and_expired_tokens_are_refused(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    db = lifecycle(app).db
    with db.session() as session:
        session.execute(update(AuthToken).values(expiry_time=now() - timedelta(seconds=1)))
    expired = client.get(f"{API}/job", headers=auth)
    assert expired.status_code == 401 and expired.json()["error"] == "subject access has expired"
    with db.session() as session:
        session.execute(update(AuthToken).values(expiry_time=None))
        session.execute(update(AuthSubject).values(active=False))
    revoked = client.get(f"{API}/job", headers=auth)
    assert revoked.status_code == 401 and revoked.json()["error"] == "subject access has been revoked"


def test_disabled_user_cannot_log_in(app: FastAPI, client: TestClient) -> None:
    with lifecycle(app).db.session() as session:
        session.execute(update(User).values(is_active=False))
    response = client.post(f"{API}/users/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 401 and response.json()["error"] == "user account is disabled"


def test_database_dump_contains_no_usable_token(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: Any
) -> None:
    deploy(client, auth)
    family_token = target.requests[-1].secret_env["AUTH_TOKEN"]
    tokens = [auth["X-Racetrack-Auth"], family_token, INTERNAL_TOKEN]
    db = lifecycle(app).db
    dump: list[str] = []
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"')):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        dump.append(bytes(value).decode("latin-1"))
                    else:
                        dump.append(str(value))
    everything = "\n".join(dump)
    for token in tokens:
        assert token not in everything
        assert token[5:25] not in everything
    with db.session() as session:
        hints = session.scalars(select(AuthToken.hint)).all()
        assert all(len(hint) <= 9 for hint in hints)


def test_family_token_authenticates_as_the_family(
    app: FastAPI, client: TestClient, auth: dict[str, str], target: Any
) -> None:
    deploy(client, auth)
    family_token = target.requests[-1].secret_env["AUTH_TOKEN"]
    subject = lifecycle(app).auth.authenticate(family_token)
    assert subject.kind == SubjectKind.JOB_FAMILY and subject.description == "Job family adder"
    with lifecycle(app).db.session() as session:
        assert session.scalars(select(JobFamily.name)).all() == ["adder"]
    # a family may not use the management API
    assert (
        client.delete(f"{API}/job/adder/0.0.1", headers={"X-Racetrack-Auth": family_token}).status_code == 401
    )


@pytest.mark.parametrize("path", ["/api/v1/info", "/lifecycle/api/v1/info"])
def test_info_is_public(client: TestClient, path: str) -> None:
    body = client.get(path).json()
    assert body == {
        "service": "lifecycle",
        "git_version": "unknown",
        "docker_tag": "latest",
        "auth_required": True,
        "external_pub_url": "http://pub.example:7205/pub",
        "lifecycle_url": "http://127.0.0.1:7202/lifecycle",
        "grafana_url": None,
        "maintenance_mode": False,
    }
