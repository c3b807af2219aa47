"""activity, deployments and info against the fake Lifecycle on loopback."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from racetrack.client.commands.activity import activity_table, deployments_table, human_duration, one_line

from .conftest import Cli, write_config
from .fake_lifecycle import FakeLifecycle


def event(kind: str, explanation: str, age: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"event-{age}",
        "version": 1,
        "timestamp": int(time.time()) - age,
        "event_type": kind,
        "properties": None,
        "username_executor": "admin@example.com",
        "username_subject": None,
        "job_name": "adder",
        "job_version": "0.0.1",
        "explanation": explanation,
        "time_ago": "stale text from the server",
        **fields,
    }


def deployment(ident: str, status: str, **fields: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "id": ident,
        "status": status,
        "create_time": now - 600,
        "update_time": now - 540,
        "job_name": "adder",
        "job_version": "0.0.1",
        "error": None,
        "deployed_by": "admin@example.com",
        "phase": None,
        "duration": None,
        **fields,
    }


def split(line: str) -> list[str]:
    return re.split(" {3,}", line)


# -- activity -------------------------------------------------------------------------


def test_activity_prints_a_bare_table_when_piped(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.events = [
        event("job_deployed", "Job adder 0.0.1 deployed by admin@example.com", 5),
        event("job_deleted", "Job adder 0.0.1 (owned by jane) deleted by admin@example.com", 7200),
    ]
    result = cli("activity")
    assert result.exit_code == 0, result.output
    assert [split(line) for line in result.stdout.splitlines()] == [
        ["TIME", "EVENT", "EXPLANATION"],
        ["just now", "job_deployed", "Job adder 0.0.1 deployed by admin@example.com"],
        ["2 hours ago", "job_deleted", "Job adder 0.0.1 (owned by jane) deleted by admin@example.com"],
    ]
    request = logged_in.requests_to("GET", "/api/v1/audit/activity")[0]
    assert request.query == {}


def test_activity_filters_are_sent_as_query_parameters(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.events = [
        event("job_deployed", "mine", 5),
        event("job_deployed", "other job", 6, job_name="stats"),
        event("job_deployed", "someone else's", 7, username_executor="bob"),
    ]
    result = cli("activity", "--job", "adder", "--version", "0.0.1", "--mine")
    assert result.exit_code == 0, result.output
    assert [split(line)[-1] for line in result.stdout.splitlines()[1:]] == ["mine"]
    request = logged_in.requests_to("GET", "/api/v1/audit/activity")[0]
    assert request.query == {"job_name": "adder", "job_version": "0.0.1", "related_to_me": "true"}


def test_activity_as_json(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.events = [event("job_deployed", "Job adder 0.0.1 deployed by admin@example.com", 5)]
    result = cli("activity", "-o", "json", "--job", "adder")
    body = json.loads(result.stdout)
    assert body["filter_job_name"] == "adder" and body["filter_related_to_me"] is False
    assert body["events"][0]["explanation"] == "Job adder 0.0.1 deployed by admin@example.com"


def test_activity_in_a_terminal_logs_the_remote_and_empty_feed(
    cli: Cli, logged_in: FakeLifecycle, tty: None
) -> None:
    result = cli("activity")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].endswith(f"INFO No activity at {logged_in.lifecycle_url}.")
    logged_in.events = [event("job_deployed", "deployed", 5)]
    lines = cli("activity").stdout.splitlines()
    assert lines[1].endswith(f"INFO Recent activity (1) at {logged_in.lifecycle_url}:")
    assert lines[2].startswith("TIME")


def test_activity_needs_a_token(cli: Cli, lifecycle: FakeLifecycle, config_path: Path) -> None:
    write_config(config_path, {"lifecycle_url": lifecycle.url})
    result = cli("activity")
    assert result.exit_code == 1
    assert "missing auth token" in result.stderr


def test_activity_table_uses_the_server_wording_without_a_timestamp() -> None:
    table = activity_table([{"event_type": "job_moved", "explanation": "x", "time_ago": "yesterday"}])
    assert split(table.splitlines()[1]) == ["yesterday", "job_moved", "x"]


# -- deployments ------------------------------------------------------------------------


def test_deployments_table_when_piped(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.deployment_list = [
        deployment("0123456789abcdef", "in_progress", phase="building image", job_version="0.0.3"),
        deployment(
            "fedcba9876543210",
            "failed",
            error="building image: pip failed\nTraceback: " + "x" * 200,
            duration=75.2,
        ),
        deployment("aaaaaaaabbbbbbbb", "done", duration=12.4, deployed_by="jane@example.com"),
    ]
    result = cli("deployments")
    assert result.exit_code == 0, result.output
    lines = [split(line) for line in result.stdout.splitlines()]
    assert lines[0] == ["ID", "JOB", "VERSION", "STATUS", "PHASE / ERROR", "DEPLOYED BY", "DURATION", "AGE"]
    assert lines[1] == [
        "01234567",
        "adder",
        "0.0.3",
        "IN_PROGRESS",
        "building image",
        "admin@example.com",
        "-",
        "10 minutes ago",
    ]
    assert lines[2][:5] == ["fedcba98", "adder", "0.0.1", "FAILED", "building image: pip failed"]
    assert lines[2][6] == "1m 15s"
    assert lines[3][3:] == ["DONE", "jane@example.com", "12s", "10 minutes ago"]
    assert logged_in.requests_to("GET", "/api/v1/deploy")[0].query == {"limit": "20"}


def test_deployments_limit_and_json(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.deployment_list = [deployment(f"d{i}", "done", duration=1.0) for i in range(5)]
    result = cli("deployments", "--limit", "2", "-o", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [item["id"] for item in body] == ["d0", "d1"]
    assert logged_in.requests_to("GET", "/api/v1/deploy")[0].query == {"limit": "2"}
    assert cli("deployments", "--limit", "0").exit_code == 2


def test_no_deployments_in_a_terminal(cli: Cli, logged_in: FakeLifecycle, tty: None) -> None:
    result = cli("deployments")
    assert result.stdout.splitlines()[-1].endswith(f"INFO No deployments at {logged_in.lifecycle_url}.")


def test_helpers_for_the_deployments_table() -> None:
    assert [human_duration(s) for s in (None, 0.4, 59.6, 61, 3725)] == [
        "-",
        "0s",
        "1m 00s",
        "1m 01s",
        "1h 02m",
    ]
    assert one_line(None) == "" and one_line("  \n") == ""
    assert one_line("first\nsecond") == "first"
    assert one_line("a" * 100, 10) == "aaaaaaa..."
    assert deployments_table([]).splitlines() == [
        "ID   JOB   VERSION   STATUS   PHASE / ERROR   DEPLOYED BY   DURATION   AGE"
    ]


# -- info ---------------------------------------------------------------------------------


def test_info_table_when_piped_needs_no_token(cli: Cli, lifecycle: FakeLifecycle, config_path: Path) -> None:
    write_config(config_path, {"lifecycle_url": lifecycle.url})
    result = cli("info")
    assert result.exit_code == 0, result.output
    rows = {
        (cells := split(line))[0].strip(): cells[1] if len(cells) > 1 else ""
        for line in result.stdout.splitlines()
    }
    assert rows["KEY"] == "VALUE"
    assert rows["service"] == "lifecycle"
    assert rows["auth_required"] == "yes"
    assert rows["lifecycle_url"] == lifecycle.lifecycle_url
    assert rows["grafana_url"] == ""
    assert "x-racetrack-auth" not in logged_headers(lifecycle)


def logged_headers(lifecycle: FakeLifecycle) -> dict[str, str]:
    return lifecycle.requests_to("GET", "/api/v1/info")[-1].headers


def test_info_as_json(cli: Cli, logged_in: FakeLifecycle) -> None:
    body = json.loads(cli("info", "--output", "json").stdout)
    assert body["service"] == "lifecycle" and body["auth_required"] is True


def test_info_in_a_terminal(cli: Cli, logged_in: FakeLifecycle, tty: None) -> None:
    lines = cli("info").stdout.splitlines()
    assert lines[1].endswith(f"INFO Lifecycle at {logged_in.lifecycle_url}:")
    assert lines[2].split() == ["KEY", "VALUE"]
