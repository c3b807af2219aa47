"""Helpers for the Dashboard tests: reading CSRF tokens and logging in through the form."""

from __future__ import annotations

import re

from tests.integration.lifecycle.lifecycle_support import ADMIN_PASSWORD, TestClient

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def page_csrf(test_client: TestClient, path: str = "/dashboard/login") -> str:
    response = test_client.get(path)
    assert response.status_code == 200, response.text
    return csrf_of(response.text)


def form_login(test_client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    token = page_csrf(test_client)
    response = test_client.post(
        "/dashboard/login",
        data={"username": username, "password": password, "csrf_token": token, "next": ""},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
