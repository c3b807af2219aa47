"""The administration API: users, permissions, public endpoints, maintenance mode (staff only)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.integration.lifecycle.lifecycle_support import (
    ADMIN_PASSWORD,
    INTERNAL_TOKEN,
    TestClient,
    deploy,
    login,
    manifest,
)
from tests.integration.lifecycle.test_lifecycle_permissions_api import grants_of, hdr, new_user

API = "/lifecycle/api/v1"
MAINTENANCE_MESSAGE = "Racetrack is currently in maintenance mode. Please try again later."

ADMIN_ENDPOINTS = [
    ("GET", "/users", None),
    ("PATCH", "/users/admin", {"is_active": False}),
    ("GET", "/permissions", None),
    ("POST", "/permissions", {"subject_type": "user", "subject": "admin", "scope": "read_job"}),
    ("DELETE", "/permissions/1", None),
    ("GET", "/public-endpoints", None),
    ("POST", "/public-endpoints/x/activate", None),
    ("POST", "/public-endpoints/x/deactivate", None),
    ("GET", "/settings/maintenance", None),
    ("PUT", "/settings/maintenance", {"enabled": True}),
    ("GET", "/trash", None),
    ("GET", "/escs", None),
    ("POST", "/escs", {"name": "billing"}),
    ("PATCH", "/escs/x", {"active": False}),
    ("GET", "/platform", None),
]


def call(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.request(method, f"{API}{path}", json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
def test_every_admin_endpoint_refuses_non_staff(
    app: FastAPI, client: TestClient, method: str, path: str, body: Any
) -> None:
    _, token = new_user(app, "bob@example.com")
    refused = call(client, method, path, body, hdr(token))
    assert refused.status_code in (401, 403), refused.text
    assert refused.json()["error"] == "User bob@example.com is not a staff member"
    anonymous = call(client, method, path, body, {})
    assert anonymous.status_code == 401, anonymous.text
    assert "token" in anonymous.json()["error"]


def test_internal_token_with_call_admin_api_may_administer(make_app: Any) -> None:
    with TestClient(make_app(internal_token=INTERNAL_TOKEN)) as client:
        response = client.get(f"{API}/users", headers=hdr(INTERNAL_TOKEN))
        assert response.status_code == 200, response.text
        assert [user["username"] for user in response.json()] == ["admin"]


def test_users_are_listed_and_updated(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    new_user(app, "bob@example.com")
    listed = client.get(f"{API}/users", headers=auth)
    assert listed.status_code == 200
    assert listed.json() == [
        {"username": "admin", "is_active": True, "is_staff": True},
        {"username": "bob@example.com", "is_active": True, "is_staff": False},
    ]

    made_staff = client.patch(f"{API}/users/bob@example.com", json={"is_staff": True}, headers=auth)
    assert made_staff.json() == {"username": "bob@example.com", "is_active": True, "is_staff": True}
    bob = login(client, "bob@example.com", "x-long-password-1")
    assert client.get(f"{API}/users", headers=hdr(bob)).status_code == 200

    changed = client.patch(
        f"{API}/users/bob@example.com", json={"password": "a-new-long-password-9"}, headers=auth
    )
    assert changed.status_code == 200, changed.text
    login(client, "bob@example.com", "a-new-long-password-9")
    weak = client.patch(f"{API}/users/bob@example.com", json={"password": "short"}, headers=auth)
    assert weak.status_code == 400

    off = client.patch(f"{API}/users/bob@example.com", json={"is_active": False}, headers=auth)
    assert off.json()["is_active"] is False
    assert client.get(f"{API}/users", headers=hdr(bob)).status_code == 401
    refused = client.post(
        f"{API}/users/login", json={"username": "bob@example.com", "password": "a-new-long-password-9"}
    )
    assert refused.status_code == 401

    unknown = client.patch(f"{API}/users/nobody", json={"is_staff": True}, headers=auth)
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "user nobody does not exist"
    # staff cannot lock themselves out
    assert client.patch(f"{API}/users/admin", json={"is_active": False}, headers=auth).status_code == 400
    login(client, "admin", ADMIN_PASSWORD)


def test_permissions_are_granted_listed_and_revoked(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="adder")
    subject_id, token = new_user(app, "bob@example.com")
    esc = client.post(f"{API}/escs", json={"name": "billing", "id": "esc-1"}, headers=auth).json()

    created = client.post(
        f"{API}/permissions",
        json={
            "subject_type": "user",
            "subject": "bob@example.com",
            "scope": "delete_job",
            "job_family": "adder",
            "job_version": "0.0.1",
        },
        headers=auth,
    )
    assert created.status_code == 200, created.text
    grant = created.json()
    assert grant == {
        "id": grant["id"],
        "subject_type": "user",
        "subject": "bob@example.com",
        "scope": "delete_job",
        "job_family": "adder",
        "job_version": "0.0.1",
        "endpoint": None,
    }
    again = client.post(
        f"{API}/permissions",
        json={
            "subject_type": "user",
            "subject": "bob@example.com",
            "scope": "delete_job",
            "job_family": "adder",
            "job_version": "0.0.1",
        },
        headers=auth,
    )
    assert again.json()["id"] == grant["id"]  # idempotent

    esc_grant = client.post(
        f"{API}/permissions",
        json={
            "subject_type": "esc",
            "subject": esc["id"],
            "scope": "call_job",
            "job_family": "adder",
            "endpoint": "api/v1/perform/",
        },
        headers=auth,
    ).json()
    assert esc_grant["subject"] == "esc-1" and esc_grant["endpoint"] == "/api/v1/perform"
    family_grant = client.post(
        f"{API}/permissions",
        json={"subject_type": "job_family", "subject": "adder", "scope": "read_job"},
        headers=auth,
    ).json()
    assert family_grant["job_family"] is None

    mine = client.get(f"{API}/permissions", params={"subject": "bob@example.com"}, headers=auth).json()
    assert sorted(row["scope"] for row in mine) == [
        "call_job",
        "delete_job",
        "deploy_job",
        "deploy_new_family",
        "read_job",
    ]
    escs = client.get(f"{API}/permissions", params={"subject_type": "esc"}, headers=auth).json()
    assert [row["id"] for row in escs] == [esc_grant["id"]]
    reads = client.get(f"{API}/permissions", params={"scope": "read_job"}, headers=auth).json()
    assert {row["subject"] for row in reads} == {"admin", "bob@example.com", "adder"}  # admin: deployer

    # the grant works: bob may now delete the admin's job...
    assert client.delete(f"{API}/permissions/{grant['id']}", headers=auth).status_code == 200
    assert ("delete_job", None) not in [(row[0], row[3]) for row in grants_of(app, subject_id) if row[2]]
    assert client.delete(f"{API}/job/adder/0.0.1", headers=hdr(token)).status_code == 401
    client.post(
        f"{API}/permissions",
        json={
            "subject_type": "user",
            "subject": "bob@example.com",
            "scope": "delete_job",
            "job_family": "adder",
        },
        headers=auth,
    )
    assert client.delete(f"{API}/job/adder/0.0.1", headers=hdr(token)).status_code == 200
    assert client.delete(f"{API}/permissions/{grant['id']}", headers=auth).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"subject_type": "user", "subject": "nobody", "scope": "read_job"}, "user nobody does not exist"),
        ({"subject_type": "esc", "subject": "nope", "scope": "read_job"}, "ESC nope does not exist"),
        (
            {"subject_type": "job_family", "subject": "ghost", "scope": "read_job"},
            "job family ghost does not exist",
        ),
        ({"subject_type": "user", "subject": "admin", "scope": "fly"}, "unknown scope: 'fly'"),
        ({"subject_type": "robot", "subject": "admin", "scope": "read_job"}, "unknown subject type: 'robot'"),
        (
            {"subject_type": "user", "subject": "admin", "scope": "read_job", "job_family": "ghost"},
            "job family ghost does not exist",
        ),
        (
            {"subject_type": "user", "subject": "admin", "scope": "read_job", "job_version": "1.0.0"},
            "job_version and endpoint need job_family",
        ),
        (
            {"subject_type": "user", "subject": "admin", "scope": "read_job", "endpoint": "/x"},
            "job_version and endpoint need job_family",
        ),
        (
            {
                "subject_type": "user",
                "subject": "admin",
                "scope": "read_job",
                "job_family": "adder",
                "job_version": "9.9.9",
            },
            "job adder v9.9.9 does not exist",
        ),
    ],
)
def test_bad_grants_are_400_naming_the_problem(
    client: TestClient, auth: dict[str, str], body: dict[str, Any], message: str
) -> None:
    deploy(client, auth, name="adder")
    response = client.post(f"{API}/permissions", json=body, headers=auth)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(message)


def test_public_endpoints_are_activated_and_then_open_without_a_token(
    client: TestClient, auth: dict[str, str]
) -> None:
    deploy(client, auth, name="adder", public_endpoints=["/api/v1/webview", "/api/v1/other"])
    deploy(client, auth, name="stats")
    listed = client.get(f"{API}/public-endpoints", headers=auth).json()
    assert [(r["job_name"], r["job_version"], r["endpoint"], r["active"]) for r in listed] == [
        ("adder", "0.0.1", "/api/v1/other", False),
        ("adder", "0.0.1", "/api/v1/webview", False),
    ]
    webview = listed[1]["id"]
    can_call = f"{API}/auth/can-call-job/adder/latest/api/v1/webview/static/app.js"
    assert client.get(can_call).status_code == 401

    activated = client.post(f"{API}/public-endpoints/{webview}/activate", headers=auth)
    assert activated.status_code == 200 and activated.json()["active"] is True
    opened = client.get(can_call)
    assert opened.status_code == 200, opened.text
    assert opened.json()["caller"] is None
    assert client.get(f"{API}/auth/can-call-job/adder/0.0.1/api/v1/webviewer").status_code == 401
    assert client.get(f"{API}/auth/can-call-job/adder/0.0.1/api/v1/other").status_code == 401

    active = client.get(f"{API}/public-endpoints", params={"active": "true"}, headers=auth).json()
    assert [row["id"] for row in active] == [webview]
    inactive = client.get(
        f"{API}/public-endpoints", params={"active": "false", "job_name": "adder"}, headers=auth
    ).json()
    assert [row["endpoint"] for row in inactive] == ["/api/v1/other"]
    assert client.get(f"{API}/public-endpoints", params={"job_name": "stats"}, headers=auth).json() == []

    deactivated = client.post(f"{API}/public-endpoints/{webview}/deactivate", headers=auth)
    assert deactivated.json()["active"] is False
    assert client.get(can_call).status_code == 401
    missing = client.post(f"{API}/public-endpoints/nope/activate", headers=auth)
    assert missing.status_code == 404


def test_maintenance_mode_blocks_deploy_and_delete(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth, name="adder")
    assert client.get(f"{API}/settings/maintenance", headers=auth).json() == {"enabled": False}
    turned_on = client.put(f"{API}/settings/maintenance", json={"enabled": True}, headers=auth)
    assert turned_on.json() == {"enabled": True}
    assert client.get(f"{API}/settings/maintenance", headers=auth).json() == {"enabled": True}

    from tests.integration.lifecycle.lifecycle_support import manifest

    deploying = client.post(f"{API}/deploy", json={"manifest": manifest(name="other")}, headers=auth)
    assert deploying.status_code == 503
    assert deploying.json()["error"] == MAINTENANCE_MESSAGE
    deleting = client.delete(f"{API}/job/adder/0.0.1", headers=auth)
    assert deleting.status_code == 503
    assert deleting.json()["error"] == MAINTENANCE_MESSAGE
    assert client.get(f"{API}/job/adder/0.0.1", headers=auth).status_code == 200  # reading still works

    client.put(f"{API}/settings/maintenance", json={"enabled": False}, headers=auth)
    assert client.get(f"{API}/settings/maintenance", headers=auth).json() == {"enabled": False}
    assert client.delete(f"{API}/job/adder/0.0.1", headers=auth).status_code == 200
    assert deploy(client, auth, name="other")["status"] == "done"


def test_deleted_jobs_are_listed_in_the_trash_for_staff(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth)
    deploy(client, auth, version="0.0.2")
    assert client.delete(f"{API}/job/adder/0.0.1", headers=auth).status_code == 200

    trash = client.get(f"{API}/trash", headers=auth).json()
    by_name = client.get(f"{API}/trash", params={"job_name": "other"}, headers=auth).json()

    assert [(row["name"], row["version"], row["deployed_by"]) for row in trash] == [
        ("adder", "0.0.1", "admin")
    ]
    assert trash[0]["delete_time"] >= trash[0]["create_time"] > 0
    assert "name: adder" in trash[0]["manifest_yaml"]
    assert by_name == []
    again = client.post(f"{API}/deploy", json={"manifest": manifest()}, headers=auth)
    assert again.status_code == 409 and "already been deployed and deleted" in again.json()["error"]
