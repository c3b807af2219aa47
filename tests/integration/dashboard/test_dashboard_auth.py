"""Sessions, login, logout, registration and CSRF of the Dashboard (real app, real database)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from fastapi import FastAPI

from tests.integration.dashboard.dashboard_support import csrf_of, form_login, page_csrf
from tests.integration.lifecycle.lifecycle_support import ADMIN_PASSWORD, TestClient


def test_pages_redirect_to_login_with_next(client: TestClient) -> None:
    response = client.get("/dashboard/profile?tab=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fprofile%3Ftab%3Dx"
    page = client.get(response.headers["location"])
    assert "Please log in to see this page." in page.text
    assert 'value="/dashboard/profile?tab=x"' in page.text


def test_login_sets_httponly_lax_cookie_and_goes_to_next(client: TestClient) -> None:
    token = page_csrf(client)
    response = client.post(
        "/dashboard/login",
        data={
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "csrf_token": token,
            "next": "/dashboard/profile",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/profile"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("X-Racetrack-Auth="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    profile = client.get("/dashboard/profile")
    assert profile.status_code == 200
    assert "Logged in as admin" in profile.text and '<span class="badge">admin</span>' in profile.text


def test_secure_cookie_when_enforced(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(enforce_secure_cookie=True), base_url="https://testserver") as client:
        token = page_csrf(client)
        response = client.post(
            "/dashboard/login",
            data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert "Secure" in next(
            h for h in response.headers.get_list("set-cookie") if h.startswith("X-Racetrack-Auth=")
        )


def test_open_redirects_are_refused(client: TestClient) -> None:
    token = page_csrf(client)
    for target in ("https://evil.example/", "//evil.example/dashboard/", "/lifecycle/api/v1/info", "/\\evil"):
        client.cookies.delete("X-Racetrack-Auth")
        response = client.post(
            "/dashboard/login",
            data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/dashboard/", target


def test_wrong_password_shows_the_server_message(client: TestClient) -> None:
    token = page_csrf(client)
    response = client.post(
        "/dashboard/login", data={"username": "admin", "password": "nope-nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "incorrect username or password" in response.text


def test_login_is_rate_limited(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(login_attempts_limit=2)) as client:
        token = page_csrf(client)
        for _ in range(2):
            client.post("/dashboard/login", data={"username": "admin", "password": "x", "csrf_token": token})
        response = client.post(
            "/dashboard/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 429
        assert "too many failed login attempts" in response.text


def test_post_without_valid_csrf_token_is_refused(client: TestClient) -> None:
    page_csrf(client)  # the browser has its CSRF cookie
    form = {"username": "admin", "password": ADMIN_PASSWORD}
    for data in (form, {**form, "csrf_token": "0" * 64}):
        response = client.post("/dashboard/login", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "security token (CSRF)" in response.text
    form_login(client)
    response = client.post("/dashboard/logout", follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/dashboard/profile", follow_redirects=False).status_code == 200


def test_logout_clears_the_cookie(client: TestClient) -> None:
    form_login(client)
    token = page_csrf(client, "/dashboard/profile")
    response = client.post("/dashboard/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/login"
    assert "You&#39;re logged out." in client.get("/dashboard/login").text
    assert client.get("/dashboard/profile", follow_redirects=False).status_code == 303


def test_register_flow(client: TestClient) -> None:
    token = page_csrf(client, "/dashboard/register")
    base = {"username": "new@example.com", "csrf_token": token}
    mismatch = client.post(
        "/dashboard/register",
        data={**base, "password": "Str0ng-pass-1", "password_confirmation": "other-pass-2"},
    )
    assert mismatch.status_code == 400 and "Passwords do not match." in mismatch.text
    weak = client.post(
        "/dashboard/register", data={**base, "password": "12345678", "password_confirmation": "12345678"}
    )
    assert weak.status_code == 400 and "entirely numeric" in weak.text
    done = client.post(
        "/dashboard/register",
        data={**base, "password": "Str0ng-pass-1", "password_confirmation": "Str0ng-pass-1"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/login"
    assert "An administrator must activate" in client.get("/dashboard/login").text
    again = client.post(
        "/dashboard/register",
        data={**base, "password": "Str0ng-pass-1", "password_confirmation": "Str0ng-pass-1"},
    )
    assert again.status_code == 409 and "Username already exists" in again.text
    login = client.post(
        "/dashboard/login",
        data={"username": "new@example.com", "password": "Str0ng-pass-1", "csrf_token": token},
    )
    assert login.status_code == 401 and "not activated" in login.text


def test_profile_regenerates_token_with_htmx(client: TestClient) -> None:
    form_login(client)
    page = client.get("/dashboard/profile")
    old = unquote(client.cookies["X-Racetrack-Auth"])
    assert old in page.text and f"racetrack login --remote http://127.0.0.1:7202/lifecycle {old}" in page.text
    response = client.post(
        "/dashboard/profile/token", headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(page.text)}
    )
    assert response.status_code == 200
    new = unquote(client.cookies["X-Racetrack-Auth"])
    assert new != old and new in response.text and "<html" not in response.text
    assert "regenerated" in response.headers["HX-Trigger"]
    old_call = client.get("/lifecycle/api/v1/users/validate_user_auth", headers={"X-Racetrack-Auth": old})
    assert old_call.status_code == 401
    assert client.get("/dashboard/profile").status_code == 200  # the refreshed cookie works


def test_change_password(client: TestClient) -> None:
    form_login(client)
    token = page_csrf(client, "/dashboard/profile/change-password")
    wrong = client.post(
        "/dashboard/profile/change-password",
        data={
            "csrf_token": token,
            "old_password": "bad",
            "new_password": "An0ther-secret",
            "new_password_confirmation": "An0ther-secret",
        },
    )
    assert wrong.status_code == 400 and "Passed password is incorrect." in wrong.text
    ok = client.post(
        "/dashboard/profile/change-password",
        data={
            "csrf_token": token,
            "old_password": ADMIN_PASSWORD,
            "new_password": "An0ther-secret",
            "new_password_confirmation": "An0ther-secret",
        },
    )
    assert ok.status_code == 200 and "Your password has been changed." in ok.text
    client.cookies.delete("X-Racetrack-Auth")
    form_login(client, password="An0ther-secret")


def test_staff_only_page(app: FastAPI, client: TestClient) -> None:
    form_login(client)
    assert client.get("/dashboard/administration").status_code == 200
    assert 'href="/dashboard/administration"' in client.get("/dashboard/profile").text
    state = app.state.lifecycle
    with state.db.session() as session:
        state.users.create_user(session, "joe@example.com", "Str0ng-pass-1")
    client.cookies.clear()
    form_login(client, "joe@example.com", "Str0ng-pass-1")
    response = client.get("/dashboard/administration")
    assert response.status_code == 403 and "staff" in response.text
    profile = client.get("/dashboard/profile").text
    assert (
        'href="/dashboard/administration"' not in profile
        and '<span class="badge">admin</span>' not in profile
    )
