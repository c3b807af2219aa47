"""A manifest's public endpoint is served by PUB without a token once staff activate it."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.conftest import SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e


def _status_without_token(url: str, expected: int, within: float = 5) -> int:
    deadline = time.monotonic() + within  # PUB may hold an earlier answer for its short TTL
    while True:
        status = httpx.get(url, timeout=10).status_code
        if status == expected or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_activated_public_endpoint_opens_only_that_path(cli: Cli, server: Server, admin_token: str) -> None:
    headers = {"X-Racetrack-Auth": admin_token}
    cli("deploy", str(SAMPLES / "python-ui-flask"), "--force", timeout=300)
    webview = f"{server.pub}/job/python-ui-flask/latest/api/v1/webview/"
    private = f"{server.pub}/job/python-ui-flask/latest/api/v1/parameters"
    assert httpx.get(webview).status_code == 401  # requested, not yet approved

    requests = httpx.get(
        f"{server.remote}/api/v1/public-endpoints", params={"job_name": "python-ui-flask"}, headers=headers
    ).json()
    (request,) = [r for r in requests if r["endpoint"] == "/api/v1/webview" and r["job_version"] == "0.0.2"]
    admin_url = f"{server.remote}/api/v1/public-endpoints/{request['id']}"
    activated = httpx.post(f"{admin_url}/activate", headers=headers)
    assert activated.status_code == 200, activated.text

    assert _status_without_token(webview, 200) == 200
    assert httpx.get(private).status_code == 401

    httpx.post(f"{admin_url}/deactivate", headers=headers)
    assert _status_without_token(webview, 401) == 401
