"""Governance end to end: secrets kept for redeploys (and leaked nowhere), token revocation at
PUB, maintenance mode. Each runs the CLI as a user does against a real ``racetrack up``."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e

PROBE_SOURCE = '''
import base64
import hashlib
import json
import os


class Probe:
    def perform(self, x: int = 0) -> dict:
        """Digests of the secret variables, so the test can check them without echoing them."""
        return {
            name: hashlib.sha256(os.environ.get(name, "").encode()).hexdigest()
            for name in ("API_KEY", "BUILD_TOKEN")
        }
'''


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _probe_job(root: Path, runtime_canary: str, build_canary: str) -> Path:
    job = root / "secret-probe"
    job.mkdir()
    (job / "probe.py").write_text(PROBE_SOURCE)
    (job / "job.yaml").write_text(
        "name: secret-probe\n"
        "owner_email: sample@example.com\n"
        "jobtype: python3:latest\n"
        "version: 0.0.1\n"
        "git:\n  remote: https://github.com/example-canary/secret-probe\n"
        "jobtype_extra:\n  entrypoint_path: probe.py\n  entrypoint_class: Probe\n"
        "secret_runtime_env_file: runtime.env\n"
        "secret_build_env_file: build.env\n"
    )
    (job / "runtime.env").write_text(f"API_KEY={runtime_canary}\n")
    (job / "build.env").write_text(f"BUILD_TOKEN={build_canary}\n")
    return job


def _perform(server: Server, token: str) -> dict[str, str]:
    response = httpx.post(
        f"{server.pub}/job/secret-probe/0.0.1/api/v1/perform",
        json={},
        headers={"X-Racetrack-Auth": token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def test_redeploy_and_reprovision_keep_the_secrets_and_no_canary_leaks_anywhere(
    cli: Cli, server: Server, admin_token: str, tmp_path: Path
) -> None:
    runtime_canary = f"canary-runtime-{uuid.uuid4().hex}"
    build_canary = f"canary-build-{uuid.uuid4().hex}"
    git_canary = f"canary-git-{uuid.uuid4().hex}"
    canaries = (runtime_canary, build_canary, git_canary)
    job = _probe_job(tmp_path, runtime_canary, build_canary)
    cli("set", "credentials", "https://github.com/example-canary", "probe-bot", git_canary)
    expected = {"API_KEY": _digest(runtime_canary), "BUILD_TOKEN": _digest("")}

    outputs = [cli("deploy", str(job), "--force")]
    assert _perform(server, admin_token) == expected
    for secret_file in ("runtime.env", "build.env"):  # the user's secret files are gone now
        (job / secret_file).unlink()
    outputs.append(cli("redeploy", "secret-probe", "--version", "0.0.1"))
    assert "has been redeployed" in outputs[-1].stdout + outputs[-1].stderr
    assert _perform(server, admin_token) == expected
    outputs.append(cli("reprovision", "secret-probe", "--version", "latest"))
    assert "has been reprovisioned" in outputs[-1].stdout + outputs[-1].stderr
    assert _perform(server, admin_token) == expected

    headers = {"X-Racetrack-Auth": admin_token}
    api = f"{server.remote}/api/v1"
    deployments = httpx.get(f"{api}/deploy", headers=headers).json()
    responses = [
        httpx.get(f"{api}/{path}", headers=headers).text
        for path in (
            "job",
            "job/secret-probe/0.0.1",
            "job/secret-probe/0.0.1/build-logs?tail=0",
            "job/secret-probe/0.0.1/logs?tail=0",
            "deploy",
            "audit/activity",
            "audit/events",
            "info",
            *(f"deploy/{d['id']}" for d in deployments if d["job_name"] == "secret-probe"),
        )
    ]
    kinds = [d["kind"] for d in deployments if d["job_name"] == "secret-probe"][:3]
    assert kinds == ["reprovision", "redeploy", "deploy"]
    time.sleep(0.3)  # buffered INFO log lines reach the file within 0.2 s
    places = {
        "server log": server.output(),
        "CLI output": "\n".join(r.stdout + r.stderr for r in outputs),
        "API responses": "\n".join(responses),
    }
    for name, text in places.items():
        for canary in canaries:
            assert canary not in text, f"a secret leaked into the {name}"
    leaking_files = [
        str(path.relative_to(server.data_dir))
        for path in server.data_dir.rglob("*")
        if path.is_file() and any(c.encode() in path.read_bytes() for c in canaries)
    ]
    assert leaking_files == [], "secrets found in plain text in the data dir (database, logs, state)"


def test_regenerated_token_is_refused_at_pub_within_5_seconds(
    cli: Cli, server: Server, admin_token: str
) -> None:
    cli("deploy", str(SAMPLES / "python-class"), "--force")
    api = f"{server.remote}/api/v1"
    username, password = f"revoke-{uuid.uuid4().hex[:8]}@example.com", "a-long-enough-passphrase"
    assert httpx.post(f"{api}/users/register", json={"username": username, "password": password}).is_success
    activated = httpx.patch(
        f"{api}/users/{username}", json={"is_active": True}, headers={"X-Racetrack-Auth": admin_token}
    )
    assert activated.is_success, activated.text
    old = httpx.post(f"{api}/users/login", json={"username": username, "password": password}).json()["token"]
    url = f"{server.pub}/job/adder/latest/api/v1/perform"
    payload = {"numbers": [1, 2]}
    assert httpx.post(url, json=payload, headers={"X-Racetrack-Auth": old}, timeout=30).status_code == 200

    regenerated = httpx.post(f"{api}/auth/token/user/regenerate", headers={"X-Racetrack-Auth": old})
    assert regenerated.is_success, regenerated.text
    new = regenerated.json()["new_token"]
    started = time.monotonic()
    while httpx.post(url, json=payload, headers={"X-Racetrack-Auth": old}, timeout=30).status_code != 401:
        assert time.monotonic() - started < 5, "the old token is still accepted by PUB after 5 s"
        time.sleep(0.1)

    assert httpx.post(url, json=payload, headers={"X-Racetrack-Auth": new}, timeout=30).status_code == 200


def test_maintenance_mode_refuses_changes_keeps_job_calls_and_shows_in_info(
    cli: Cli, server: Server, admin_token: str
) -> None:
    cli("deploy", str(SAMPLES / "python-class"), "--force")
    cli("admin", "maintenance", "on")
    try:
        deploy = cli("deploy", str(SAMPLES / "python-class"), "--force", check=False)
        redeploy = cli("redeploy", "adder", "--version", "latest", check=False)
        delete = cli("delete", "adder", "--version", "0.0.2", check=False)
        info = cli("info")
        call = httpx.post(
            f"{server.pub}/job/adder/latest/api/v1/perform",
            json={"numbers": [40, 2]},
            headers={"X-Racetrack-Auth": admin_token},
            timeout=30,
        )
    finally:
        cli("admin", "maintenance", "off")

    message = "Racetrack is currently in maintenance mode. Please try again later."
    for refused in (deploy, redeploy, delete):
        assert refused.returncode != 0
        assert message in refused.stdout + refused.stderr
    assert "Maintenance mode is on" in info.stdout + info.stderr
    assert call.status_code == 200 and call.json() == 42, call.text
    assert httpx.get(f"{server.pub}/job/adder/latest/health", timeout=30).status_code == 200
    # maintenance over: the same redeploy goes through (a job deployed without any secrets)
    assert "has been redeployed" in cli("redeploy", "adder", "--version", "latest").stdout


def _status_within(url: str, token: str, wanted: int, seconds: float = 5) -> int:
    """Call until PUB answers ``wanted`` (its auth cache may hold the old answer briefly)."""
    deadline = time.monotonic() + seconds
    while True:
        status = httpx.post(
            url, json={"numbers": [1, 2]}, headers={"X-Racetrack-Auth": token}, timeout=30
        ).status_code
        if status == wanted or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_esc_is_created_granted_listed_expired_and_revoked_from_the_cli(cli: Cli, server: Server) -> None:
    cli("deploy", str(SAMPLES / "python-class"), "--force")
    name = f"billing-{uuid.uuid4().hex[:6]}"
    esc = json.loads(cli("admin", "escs", "create", name, "-o", "json").stdout)
    url = f"{server.pub}/job/adder/latest/api/v1/perform"
    assert esc["token"].startswith("rt_e_")
    assert _status_within(url, esc["token"], 401, seconds=0) == 401

    cli("admin", "escs", "grant", esc["id"], "adder")
    assert _status_within(url, esc["token"], 200) == 200
    listed = cli("admin", "escs", "list").stdout
    assert any(line.split() == [esc["id"], name, "yes", "never"] for line in listed.splitlines())
    assert cli("admin", "escs", "token", esc["id"]).stdout.strip() == esc["token"]
    expire = cli("admin", "escs", "expire", esc["id"], "--at", "2099-01-31")
    assert "expires: 2099-01-31 00:00:00 UTC" in expire.stdout

    cli("admin", "escs", "deactivate", esc["id"])
    assert _status_within(url, esc["token"], 401) == 401
    activity = cli("activity").stdout
    assert f"ESC {name} ({esc['id']}) deactivated by admin" in activity
    bad = cli("admin", "escs", "expire", esc["id"], "--at", "next tuesday", check=False)
    assert bad.returncode != 0 and "not an ISO date" in bad.stderr


def test_deleted_job_goes_to_the_trash_and_its_version_stays_claimed(cli: Cli) -> None:
    name = f"trash-{uuid.uuid4().hex[:6]}"
    cli("deploy", str(SAMPLES / "python-class"), "-e", f"name={name}")
    cli("delete", name, "--version", "0.0.2")

    trash = cli("admin", "trash", "--job", name).stdout.splitlines()
    again = cli("deploy", str(SAMPLES / "python-class"), "-e", f"name={name}", check=False)

    assert trash[0].split()[:4] == ["JOB", "VERSION", "DEPLOYED", "BY"]
    assert trash[1].split()[:4] == [name, "0.0.2", "admin", "running"]
    assert again.returncode != 0
    assert "has already been deployed and deleted" in again.stderr


def test_an_esc_migrated_with_its_pre_2_0_token_calls_a_job_through_pub(cli: Cli, server: Server) -> None:
    cli("deploy", str(SAMPLES / "python-class"), "--force")
    esc_id = f"legacy-{uuid.uuid4().hex[:6]}"
    token = base64.b64encode(json.dumps({"esc-id": esc_id, "api-key": uuid.uuid4().hex}).encode()).decode()
    created = json.loads(
        cli(
            "admin", "escs", "create", "old billing", "--legacy-token-stdin", "-o", "json", input=token
        ).stdout
    )
    assert (created["id"], created["token"]) == (esc_id, token)
    cli("admin", "escs", "grant", esc_id, "adder")
    response = httpx.post(
        f"{server.pub}/job/adder/latest/api/v1/perform",
        json={"numbers": [40, 2]},
        headers={"X-Racetrack-Esc-Auth": token},
        timeout=30,
    )
    assert (response.status_code, response.json()) == (200, 42)
    assert "a legacy (pre-2.0) ESC token was used" in server.output()
