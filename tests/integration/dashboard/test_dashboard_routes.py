"""Every Dashboard route, enumerated from the app: pages need a session (except the public
ones), state-changing requests need a CSRF token, administration needs staff. A new route is
covered the moment it is added."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from racetrack.dashboard.app import PAGE_ROUTERS
from tests.integration.dashboard.dashboard_support import form_login, page_csrf
from tests.integration.lifecycle.lifecycle_support import TestClient, login

PUBLIC = {
    "/login",
    "/register",
    "/reset-password",
    "/logout",
    "/docs",
    "/docs/",
    "/docs/{path:path}",
    "/docs/plugin/{name}",
}
SAMPLE_VALUES = {"name": "adder", "version": "0.0.1", "path": "index.md", "deployment_id": "x"}


def dashboard_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every Dashboard route, path relative to /dashboard."""
    routes = []
    for router in PAGE_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                routes.extend(
                    (method, route.path) for method in sorted(route.methods or []) if method != "HEAD"
                )
    assert len(routes) > 20, routes
    return routes


def concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        return SAMPLE_VALUES.get(match.group(1), "x")

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def _request(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
    return client.request(method, "/dashboard" + concrete(path), follow_redirects=False, **kwargs)


def test_every_private_page_sends_anonymous_visitors_to_login(app: FastAPI, client: TestClient) -> None:
    refused = []
    for method, path in dashboard_routes(app):
        if path in PUBLIC or method != "GET":
            continue
        response = _request(client, method, path)
        if response.status_code not in (303, 401) or (
            response.status_code == 303 and "/dashboard/login" not in response.headers["location"]
        ):
            refused.append((method, path, response.status_code))
    assert refused == []


def test_every_state_changing_route_refuses_a_request_without_csrf_token(
    app: FastAPI, client: TestClient
) -> None:
    form_login(client)
    unprotected = []
    for method, path in dashboard_routes(app):
        if method in ("GET", "HEAD", "OPTIONS"):
            continue
        response = _request(client, method, path, data={"username": "admin"})
        if response.status_code != 403 or "CSRF" not in response.text:
            unprotected.append((method, path, response.status_code))
    assert unprotected == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_administration_route_refuses_non_staff(app: FastAPI, client: TestClient, method: str) -> None:
    admin = {"X-Racetrack-Auth": login(client)}
    password = "a-long-enough-passphrase"
    client.post(
        "/lifecycle/api/v1/users/register", json={"username": "bob@example.com", "password": password}
    )
    client.patch("/lifecycle/api/v1/users/bob@example.com", json={"is_active": True}, headers=admin)
    form_login(client, "bob@example.com", password)
    token = page_csrf(client, "/dashboard/profile")
    allowed = []
    for route_method, path in dashboard_routes(app):
        if route_method != method or not path.startswith("/administration"):
            continue
        response = _request(client, method, path, data={"csrf_token": token})
        if response.status_code != 403 or "staff" not in response.text:
            allowed.append((method, path, response.status_code))
    assert allowed == []


def test_pages_forbid_framing_and_foreign_scripts(client: TestClient) -> None:
    for path in ("/dashboard/login", "/dashboard/static/dashboard.css", "/dashboard/no-such-page"):
        response = client.get(path, follow_redirects=False)
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
