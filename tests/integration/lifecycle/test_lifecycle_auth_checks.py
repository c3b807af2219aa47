"""``/auth/allowed/...`` (may this token do a scope on a job or one endpoint?) and the bulk token
regenerations of ``/auth/token/*/regenerate`` (staff or ``call_admin_api``)."""

from __future__ import annotations

from tests.integration.lifecycle.lifecycle_support import TestClient, deploy, login, register_user

API = "/lifecycle/api/v1"


def hdr(token: str) -> dict[str, str]:
    return {"X-Racetrack-Auth": token}


def allowed(client: TestClient, headers: dict[str, str], path: str) -> int:
    return client.get(f"{API}/auth/allowed/{path}", headers=headers).status_code


def test_allowed_answers_202_or_401_with_aliases_resolved(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth, name="adder", version="1.0.0")
    esc = client.post(f"{API}/escs", json={"name": "billing"}, headers=auth).json()
    client.post(f"{API}/auth/allow/esc/{esc['id']}/job/adder/scope/call_job", headers=auth)
    esc_headers = hdr(esc["token"])

    assert allowed(client, auth, "job/adder/latest/scope/delete_job") == 202
    assert allowed(client, esc_headers, "job/adder/latest/scope/call_job") == 202
    assert allowed(client, esc_headers, "job/adder/1.0.0/scope/call_job") == 202
    assert allowed(client, esc_headers, "job/adder/1.0.0/scope/delete_job") == 401
    assert allowed(client, esc_headers, "job/other/latest/scope/call_job") == 401
    assert client.get(f"{API}/auth/allowed/job/adder/latest/scope/call_job").status_code == 401
    response = client.get(f"{API}/auth/allowed/job/adder/latest/scope/fly", headers=auth)
    assert response.status_code == 400 and "unknown scope: 'fly'" in response.json()["error"]


def test_allowed_on_an_endpoint_honours_endpoint_grants(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth, name="adder", version="1.0.0")
    esc = client.post(f"{API}/escs", json={"name": "narrow"}, headers=auth).json()
    granted = client.post(
        f"{API}/permissions",
        json={
            "subject_type": "esc",
            "subject": esc["id"],
            "scope": "call_job",
            "job_family": "adder",
            "endpoint": "/api/v1/perform",
        },
        headers=auth,
    )
    assert granted.status_code == 200, granted.text
    esc_headers = hdr(esc["token"])
    base = "job_endpoint/adder/latest/scope/call_job/endpoint"
    assert allowed(client, esc_headers, f"{base}/api/v1/perform") == 202
    assert allowed(client, esc_headers, f"{base}/api/v1/other") == 401
    assert allowed(client, esc_headers, "job/adder/latest/scope/call_job") == 401


def test_every_esc_token_is_regenerated_and_readable_again(client: TestClient, auth: dict[str, str]) -> None:
    first = client.post(f"{API}/escs", json={"name": "a"}, headers=auth).json()
    second = client.post(f"{API}/escs", json={"name": "b"}, headers=auth).json()
    response = client.post(f"{API}/auth/token/esc/regenerate", headers=auth)
    assert response.json() == {"regenerated": 2}
    for esc in (first, second):
        assert client.get(f"{API}/escs", headers=hdr(esc["token"])).status_code == 401
        new_token = client.get(f"{API}/auth/token/esc/{esc['id']}", headers=auth).json()["token"]
        assert new_token != esc["token"] and new_token.startswith("rt_e_")


def test_every_family_token_is_regenerated(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth, name="adder")
    deploy(client, auth, name="doubler")
    assert client.post(f"{API}/auth/token/job_family/regenerate", headers=auth).json() == {"regenerated": 2}


def test_every_user_token_is_regenerated_and_a_login_returns_the_new_one(
    client: TestClient, auth: dict[str, str]
) -> None:
    user = register_user(client, auth, "dev@example.com")
    client.patch(f"{API}/users/dev@example.com", json={"is_staff": False}, headers=auth)
    refused = client.post(f"{API}/auth/token/user/all/regenerate", headers=user)
    assert refused.status_code == 401
    assert client.post(f"{API}/auth/token/user/all/regenerate", headers=auth).json() == {"regenerated": 2}
    assert client.get(f"{API}/users/validate_user_auth", headers=auth).status_code == 401
    assert client.get(f"{API}/users/validate_user_auth", headers=user).status_code == 401
    fresh = login(client)
    assert fresh != auth["X-Racetrack-Auth"]
    assert client.get(f"{API}/users/validate_user_auth", headers=hdr(fresh)).status_code == 200
