"""``racetrack admin ...`` against the fake Lifecycle on loopback."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .conftest import Cli, write_config
from .fake_lifecycle import JANE_TOKEN, FakeLifecycle


def split(line: str) -> list[str]:
    return re.split(" {3,}", line)


def rows(output: str) -> list[list[str]]:
    return [split(line) for line in output.splitlines()]


# -- users --------------------------------------------------------------------------------------


def test_users_list_as_table_and_json(cli: Cli, logged_in: FakeLifecycle) -> None:
    result = cli("admin", "users", "list")
    assert result.exit_code == 0, result.output
    assert rows(result.stdout) == [
        ["USERNAME", "ACTIVE", "STAFF"],
        ["admin@example.com", "yes", "yes"],
        ["jane@example.com", "yes", "no"],
    ]
    body = json.loads(cli("admin", "users", "list", "-o", "json").stdout)
    assert body == logged_in.users


def test_users_activate_deactivate_and_set_staff(cli: Cli, logged_in: FakeLifecycle) -> None:
    result = cli("admin", "users", "deactivate", "jane@example.com")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == 'User "jane@example.com" has been deactivated'
    request = logged_in.requests_to("PATCH", "/api/v1/users/jane@example.com")[-1]
    assert request.json() == {"is_active": False}

    assert cli("admin", "users", "activate", "jane@example.com").exit_code == 0
    assert logged_in.requests_to("PATCH", "/users/jane@example.com")[-1].json() == {"is_active": True}

    result = cli("admin", "users", "set-staff", "jane@example.com")
    assert result.stdout.strip() == 'User "jane@example.com" is now a staff member'
    assert logged_in.requests_to("PATCH", "/users/jane@example.com")[-1].json() == {"is_staff": True}
    result = cli("admin", "users", "set-staff", "jane@example.com", "--no")
    assert result.stdout.strip() == 'User "jane@example.com" is no longer a staff member'
    assert logged_in.requests_to("PATCH", "/users/jane@example.com")[-1].json() == {"is_staff": False}


def test_unknown_user_is_an_error(cli: Cli, logged_in: FakeLifecycle) -> None:
    result = cli("admin", "users", "activate", "nobody")
    assert result.exit_code == 1
    assert "user nobody does not exist" in result.stderr


def test_non_staff_are_refused_with_the_server_message(
    cli: Cli, lifecycle: FakeLifecycle, config_path: Path
) -> None:
    write_config(
        config_path, {"lifecycle_url": lifecycle.url, "user_auths": {lifecycle.lifecycle_url: JANE_TOKEN}}
    )
    for args in (("users", "list"), ("maintenance", "on"), ("permissions", "revoke", "1")):
        result = cli("admin", *args)
        assert result.exit_code == 1, args
        assert "User jane@example.com is not a staff member" in result.stderr
    assert lifecycle.maintenance is False


# -- permissions ------------------------------------------------------------------------------------


def test_permissions_grant_list_and_revoke(cli: Cli, logged_in: FakeLifecycle) -> None:
    result = cli(
        "admin",
        "permissions",
        "grant",
        "esc",
        "esc-1",
        "call_job",
        "--family",
        "adder",
        "--endpoint",
        "/api/v1/perform",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == 'Permission 1 granted: esc "esc-1" may call_job'
    assert logged_in.requests_to("POST", "/api/v1/permissions")[-1].json() == {
        "subject_type": "esc",
        "subject": "esc-1",
        "scope": "call_job",
        "job_family": "adder",
        "job_version": None,
        "endpoint": "/api/v1/perform",
    }
    granted = json.loads(
        cli("admin", "permissions", "grant", "user", "jane@example.com", "read_job", "-o", "json").stdout
    )
    assert granted["id"] == 2 and granted["job_family"] is None

    assert rows(cli("admin", "permissions", "list").stdout) == [
        ["ID", "SUBJECT TYPE", "SUBJECT", "SCOPE", "FAMILY", "VERSION", "ENDPOINT"],
        ["1", "esc", "esc-1", "call_job", "adder", "*", "/api/v1/perform"],
        ["2", "user", "jane@example.com", "read_job", "*", "*", "*"],
    ]
    listed = json.loads(cli("admin", "permissions", "list", "--subject-type", "user", "-o", "json").stdout)
    assert [grant["id"] for grant in listed] == [2]
    assert logged_in.requests_to("GET", "/api/v1/permissions")[-1].query == {"subject_type": "user"}
    cli("admin", "permissions", "list", "--subject", "esc-1", "--scope", "call_job")
    assert logged_in.requests_to("GET", "/api/v1/permissions")[-1].query == {
        "subject": "esc-1",
        "scope": "call_job",
    }

    result = cli("admin", "permissions", "revoke", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Permission 1 has been revoked"
    assert [grant["id"] for grant in logged_in.permissions] == [2]
    missing = cli("admin", "permissions", "revoke", "1")
    assert missing.exit_code == 1 and "permission 1 does not exist" in missing.stderr
    assert cli("admin", "permissions", "revoke", "x").exit_code == 2


def test_bad_grant_shows_the_server_message(cli: Cli, logged_in: FakeLifecycle) -> None:
    result = cli("admin", "permissions", "grant", "user", "jane@example.com", "fly")
    assert result.exit_code == 1
    assert "unknown scope: 'fly'" in result.stderr


def test_no_permissions_in_a_terminal(cli: Cli, logged_in: FakeLifecycle, tty: None) -> None:
    result = cli("admin", "permissions", "list")
    assert result.stdout.splitlines()[-1].endswith(f"INFO No permissions at {logged_in.lifecycle_url}.")


# -- public endpoints ---------------------------------------------------------------------------------


def test_public_endpoints_list_activate_and_deactivate(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.public_endpoints = [
        {
            "id": "r1",
            "job_name": "adder",
            "job_version": "0.0.1",
            "endpoint": "/api/v1/webview",
            "active": False,
        },
        {"id": "r2", "job_name": "stats", "job_version": "1.0.0", "endpoint": "/api/v1/x", "active": True},
    ]
    assert rows(cli("admin", "public-endpoints", "list").stdout) == [
        ["ID", "JOB", "VERSION", "ENDPOINT", "ACTIVE"],
        ["r1", "adder", "0.0.1", "/api/v1/webview", "no"],
        ["r2", "stats", "1.0.0", "/api/v1/x", "yes"],
    ]
    listed = json.loads(
        cli("admin", "public-endpoints", "list", "--job", "adder", "--inactive", "-o", "json").stdout
    )
    assert [request["id"] for request in listed] == ["r1"]
    assert logged_in.requests_to("GET", "/api/v1/public-endpoints")[-1].query == {
        "job_name": "adder",
        "active": "false",
    }
    cli("admin", "public-endpoints", "list", "--active")
    assert logged_in.requests_to("GET", "/api/v1/public-endpoints")[-1].query == {"active": "true"}

    result = cli("admin", "public-endpoints", "activate", "r1")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == 'Public endpoint /api/v1/webview of job "adder" v0.0.1 has been activated'
    assert logged_in.public_endpoints[0]["active"] is True
    result = cli("admin", "public-endpoints", "deactivate", "r1")
    assert result.stdout.strip().endswith("has been deactivated")
    assert logged_in.public_endpoints[0]["active"] is False
    missing = cli("admin", "public-endpoints", "activate", "nope")
    assert missing.exit_code == 1 and "public endpoint request nope does not exist" in missing.stderr


# -- maintenance ----------------------------------------------------------------------------------------


def test_maintenance_on_off_and_status(cli: Cli, logged_in: FakeLifecycle) -> None:
    assert cli("admin", "maintenance", "status").stdout.strip() == "Maintenance mode is off"
    result = cli("admin", "maintenance", "on")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Maintenance mode is on: deploying and deleting jobs is refused"
    assert logged_in.requests_to("PUT", "/api/v1/settings/maintenance")[-1].json() == {"enabled": True}
    assert logged_in.maintenance is True
    assert json.loads(cli("admin", "maintenance", "status", "-o", "json").stdout) == {"enabled": True}
    assert cli("admin", "maintenance", "off").stdout.strip() == "Maintenance mode is off"
    assert logged_in.maintenance is False


def test_admin_without_a_command_shows_help(cli: Cli) -> None:
    result = cli("admin")
    assert "users" in result.output and "maintenance" in result.output
