"""Helpers for the Lifecycle integration tests: logging in, manifests, deploying and waiting."""

from __future__ import annotations

import time
import warnings
from typing import Any

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 behind its TestClient; httpx (installed) works the same.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ADMIN_PASSWORD = "correct-horse-battery"
INTERNAL_TOKEN = "rt_i_" + "internal-token-for-tests-0123456789abcdefghij"


def login(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
    response = client.post("/lifecycle/api/v1/users/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def register_user(client: TestClient, admin_headers: dict[str, str], username: str) -> dict[str, str]:
    """Register ``username`` through the API, activate it as staff, log in; its auth headers."""
    password = "a-long-enough-passphrase"
    api = "/lifecycle/api/v1"
    registered = client.post(f"{api}/users/register", json={"username": username, "password": password})
    assert registered.status_code == 200, registered.text
    activated = client.patch(f"{api}/users/{username}", json={"is_active": True}, headers=admin_headers)
    assert activated.status_code == 200, activated.text
    return {"X-Racetrack-Auth": login(client, username, password)}


def manifest(name: str = "adder", version: str = "0.0.1", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "owner_email": "sample@example.com",
        "jobtype": "fake:1.0.0",
        "git": {"remote": "https://github.com/example/adder"},
        **extra,
    }


def wait_for_deployment(
    client: TestClient, deployment_id: str, headers: dict[str, str], timeout: float = 20
) -> dict[str, Any]:
    """Poll ``GET /deploy/{id}`` until it is done or failed; returns the DeploymentDto."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/lifecycle/api/v1/deploy/{deployment_id}", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] != "in_progress":
            return body
        assert time.monotonic() < deadline, f"deployment still in progress: {body}"
        time.sleep(0.05)


def deploy(
    client: TestClient,
    headers: dict[str, str],
    *,
    force: bool = False,
    wait: bool = True,
    **manifest_fields: Any,
) -> dict[str, Any]:
    response = client.post(
        "/lifecycle/api/v1/deploy",
        json={"manifest": manifest(**manifest_fields), "force": force},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    deployment_id = response.json()["id"]
    if not wait:
        return {"id": deployment_id}
    return wait_for_deployment(client, deployment_id, headers)
