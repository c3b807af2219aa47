"""The published racetrack-client 2.26.0 works against our server unchanged."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e


def test_upstream_client_deploys_lists_calls_reads_logs_and_deletes(
    upstream_cli: Cli, server: Server, admin_token: str, tmp_path: object
) -> None:
    upstream_cli("login", admin_token, "--remote", server.remote)
    upstream_cli("set", "remote", server.remote)

    deployed = upstream_cli(
        "deploy", str(SAMPLES / "python-class"), "--force", "-e", "name=adder-upstream", timeout=300
    )
    assert "has been deployed" in deployed.stdout + deployed.stderr

    listed = upstream_cli("list")
    assert "adder-upstream" in listed.stdout

    called = upstream_cli("call", "adder-upstream", "/api/v1/perform", '{"numbers": [40, 2]}')
    assert "42" in called.stdout

    logs = upstream_cli("logs", "adder-upstream")
    assert logs.returncode == 0

    build_logs = upstream_cli("build-logs", "adder-upstream")
    assert build_logs.returncode == 0

    deleted = upstream_cli("delete", "adder-upstream", "--version", "0.0.2")
    assert "deleted" in deleted.stdout + deleted.stderr
    assert "adder-upstream" not in upstream_cli("list").stdout


def test_upstream_client_login_with_username(upstream_cli: Cli, server: Server) -> None:
    from tests.e2e.conftest import ADMIN_PASSWORD

    result = upstream_cli("login", "--username", "admin", "--remote", server.remote, input=ADMIN_PASSWORD + "\n")
    assert "admin" in result.stdout + result.stderr
