"""The published racetrack-client 2.26.0 works against our server unchanged.

That client logs to the terminal only, so these tests check exit codes and effects (seen
through the API and our own CLI) rather than its output.
"""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import ADMIN_PASSWORD, SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e


def _job_names(server: Server, token: str) -> set[str]:
    response = httpx.get(f"{server.remote}/api/v1/job", headers={"X-Racetrack-Auth": token})
    response.raise_for_status()
    return {job["name"] for job in response.json()}


def test_upstream_client_deploys_lists_calls_reads_logs_and_deletes(
    upstream_cli: Cli, server: Server, admin_token: str
) -> None:
    upstream_cli("login", admin_token, "--remote", server.remote)
    upstream_cli("set", "remote", server.remote)

    upstream_cli("deploy", str(SAMPLES / "python-class"), "--force", "-e", "name=adder-upstream", timeout=300)
    assert "adder-upstream" in _job_names(server, admin_token)
    job = httpx.get(
        f"{server.remote}/api/v1/job/adder-upstream/latest", headers={"X-Racetrack-Auth": admin_token}
    ).json()
    assert job["status"] == "running"

    upstream_cli("list")
    called = upstream_cli("call", "adder-upstream", "/api/v1/perform", '{"numbers": [40, 2]}')
    assert called.stdout.strip().splitlines()[-1] == "42"
    upstream_cli("logs", "adder-upstream")
    upstream_cli("build-logs", "adder-upstream")

    upstream_cli("delete", "adder-upstream", "--version", "0.0.2")
    assert "adder-upstream" not in _job_names(server, admin_token)


def test_upstream_client_login_with_username(upstream_cli: Cli, server: Server, tmp_path: object) -> None:
    upstream_cli("login", "--username", "admin", "--remote", server.remote, input=ADMIN_PASSWORD + "\n")
    config = (upstream_cli.home / ".racetrack" / "config.yaml").read_text()
    assert server.remote in config


def test_upstream_client_login_rejects_a_wrong_password(upstream_cli: Cli, server: Server) -> None:
    result = upstream_cli(
        "login", "--username", "admin", "--remote", server.remote, input="wrong\n", check=False
    )
    assert result.returncode != 0
