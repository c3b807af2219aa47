"""list, call, logs, build-logs, delete against the fake Lifecycle on loopback."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from racetrack.client.commands.jobs import Column, jobs_table

from .conftest import Cli, write_config
from .fake_lifecycle import ADMIN_TOKEN, FakeLifecycle


def test_list_prints_a_bare_table_when_piped(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.add_job("adder", "0.0.1")
    logged_in.add_job("text-stats", "1.2.0", status="error")
    result = cli("list")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "NAME         VERSION   STATUS",
        "adder        0.0.1     RUNNING",
        "text-stats   1.2.0     ERROR",
    ]
    request = logged_in.requests_to("GET", "/api/v1/job")[0]
    assert request.headers["x-racetrack-auth"] == ADMIN_TOKEN
    assert request.headers["user-agent"].startswith("racetrack-client/")
    assert request.headers["accept"] == "application/json, */*"


def test_list_in_a_terminal_adds_log_lines(cli: Cli, logged_in: FakeLifecycle, tty: None) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = cli("list")
    lines = result.stdout.splitlines()
    assert lines[0].endswith(f"INFO Using current remote: {logged_in.lifecycle_url}")
    assert lines[1].endswith(f"INFO List of all jobs (1) deployed at {logged_in.lifecycle_url}:")
    assert lines[2].startswith("NAME")


def test_list_of_no_jobs(cli: Cli, logged_in: FakeLifecycle, tty: None) -> None:
    result = cli("list")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].endswith(f"INFO No jobs deployed at {logged_in.lifecycle_url}.")


def test_list_all_columns_in_documented_order(cli: Cli, logged_in: FakeLifecycle) -> None:
    now = int(time.time())
    logged_in.add_job("adder", "0.0.1", update_time=now - 300, last_call_time=now - 7200)
    result = cli("list", "-c", "all")
    header, row = result.stdout.splitlines()
    assert re.split(" {3,}", header) == [
        "NAME",
        "VERSION",
        "STATUS",
        "JOB TYPE",
        "INFRASTRUCTURE",
        "DEPLOYED BY",
        "UPDATED AT",
        "LAST CALL AT",
        "PUB URL",
    ]
    assert "python3:2.4.0" in row
    assert "local" in row
    assert "admin@example.com" in row
    assert "5 minutes ago" in row
    assert "2 hours ago" in row
    assert row.endswith(f"{logged_in.url}/pub/job/adder/0.0.1")


def test_list_chosen_columns_keep_the_given_order(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.add_job("adder", "0.0.1")
    header = cli("list", "-c", "last_call_at", "--column", "job_type").stdout.splitlines()[0]
    assert header.split() == ["NAME", "VERSION", "STATUS", "LAST", "CALL", "AT", "JOB", "TYPE"]
    assert "never" in cli("list", "-c", "last_call_at").stdout


def test_list_rejects_an_unknown_column(cli: Cli, logged_in: FakeLifecycle) -> None:
    result = cli("list", "-c", "colour")
    assert result.exit_code == 2
    assert "colour" in result.stderr


def test_jobs_table_dedupes_columns() -> None:
    table = jobs_table([{"name": "a", "version": "1", "status": "running"}], [Column.pub_url, Column.all])
    assert re.split(" {3,}", table.splitlines()[0])[3:] == [
        "PUB URL",
        "JOB TYPE",
        "INFRASTRUCTURE",
        "DEPLOYED BY",
        "UPDATED AT",
        "LAST CALL AT",
    ]


def test_call_posts_payload_with_token_and_prints_json(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = cli("call", "adder", "api/v1/perform", '{"numbers": [40, 2]}')
    assert result.exit_code == 0, result.output
    assert result.stdout == "42\n"
    call = logged_in.requests_to("POST", "/pub/job/adder/0.0.1/api/v1/perform")[0]
    assert call.headers["x-racetrack-auth"] == ADMIN_TOKEN
    assert call.headers["content-type"] == "application/json; charset=utf-8"
    assert call.json() == {"numbers": [40, 2]}
    assert logged_in.requests_to("GET", "/api/v1/job/adder/latest")


def test_call_accepts_yaml_payload_and_pretty_prints(cli: Cli, logged_in: FakeLifecycle, tty: None) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = cli("call", "adder", "/api/v1/echo", "text: hello", "--version", "0.0.1")
    out = result.stdout
    assert "INFO Response:" in out
    body = out[out.index("{") :]
    assert body == json.dumps({"endpoint": "/api/v1/echo", "received": {"text": "hello"}}, indent=4) + "\n"


@pytest.mark.parametrize("payload", ["[1, 2]", "just text", "42"])
def test_call_requires_a_mapping_payload(cli: Cli, logged_in: FakeLifecycle, payload: str) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = cli("call", "adder", "/api/v1/perform", payload)
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("ERROR given payload is not a key-value dictionary")
    assert not logged_in.requests_to("POST", "/api/v1/perform")


def test_call_curl_prints_only_the_command(cli: Cli, logged_in: FakeLifecycle, tty: None) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = cli("call", "adder", "/api/v1/perform", '{"name": "it\'s"}', "--curl")
    assert result.exit_code == 0
    assert result.stdout == (
        f"curl -X 'POST' '{logged_in.url}/pub/job/adder/0.0.1/api/v1/perform' "
        f"-H 'X-Racetrack-Auth: {ADMIN_TOKEN}' -H 'Accept: application/json' "
        "-H 'Content-Type: application/json; charset=utf-8' "
        "-d '{\"name\": \"it'\\''s\"}'\n"
    )
    assert not logged_in.requests_to("POST", "/api/v1/perform")


def test_call_error_of_the_job_is_one_line(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.add_job("adder", "0.0.1")
    logged_in.tokens.clear()
    logged_in.auth_required = False
    result = cli("call", "adder", "/api/v1/perform", "{}")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Job response error: Unauthorized: Unauthorized: missing or invalid token" in result.stderr


def test_logs_resolve_the_version_and_print_the_tail(cli: Cli, logged_in: FakeLifecycle, tty: None) -> None:
    logged_in.add_job("adder", "0.0.1")
    logged_in.add_job("adder", "0.0.2")
    result = cli("logs", "adder", "--tail", "2")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[-3].endswith('INFO Viewing the latest logs of job "adder" v0.0.2 (2 lines):')
    assert lines[-2:] == ["line 2", "line 3"]
    assert logged_in.requests_to("GET", "/api/v1/job/adder/0.0.2/logs")[0].query == {"tail": "2"}


def test_logs_follow_prints_streamed_lines(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = cli("logs", "adder", "-f", "--tail", "5")
    assert result.exit_code == 0
    assert result.stdout == "stream 1\nstream 2\nstream 3\n"
    stream = logged_in.requests_to("GET", "/api/v1/job/adder/0.0.1/logs/stream")[0]
    assert stream.query == {"tail": "5"}
    assert stream.headers["x-racetrack-auth"] == ADMIN_TOKEN


def test_build_logs_default_to_everything(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = cli("build-logs", "adder")
    assert result.stdout.splitlines() == logged_in.build_logs.splitlines()
    assert logged_in.requests_to("GET", "/api/v1/job/adder/latest/build-logs")[0].query == {"tail": "0"}


def test_delete_needs_a_version(cli: Cli, logged_in: FakeLifecycle) -> None:
    result = cli("delete", "adder")
    assert result.exit_code == 2
    assert "--version" in result.stderr


def test_delete_removes_the_job(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = cli("delete", "adder", "--version", "0.0.1")
    assert result.exit_code == 0
    assert result.stdout == f'Job "adder" v0.0.1 has been deleted from {logged_in.lifecycle_url}\n'
    assert logged_in.jobs == []


def test_unknown_job_is_a_one_line_lifecycle_error(cli: Cli, logged_in: FakeLifecycle) -> None:
    result = cli("delete", "ghost", "--version", "1.0.0")
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.endswith(
        "ERROR Lifecycle response error: Not Found: Job ghost v1.0.0 not found "
        f"(DELETE {logged_in.lifecycle_url}/api/v1/job/ghost/1.0.0 returned 404)"
    )


def test_job_names_complete_from_the_remote(logged_in: FakeLifecycle) -> None:
    from typer.main import get_command

    from racetrack.client.commands.jobs import complete_job_name
    from racetrack.client.main import app

    logged_in.add_job("adder", "0.0.1")
    logged_in.add_job("adder", "0.0.2")
    logged_in.add_job("alpha", "1.0.0")
    logged_in.add_job("text-stats", "1.0.0")
    ctx: Any = get_command(app).make_context("racetrack", ["logs", "x"], resilient_parsing=True)
    assert complete_job_name(ctx, "a") == ["adder", "alpha"]
    assert complete_job_name(ctx, "") == ["adder", "alpha", "text-stats"]


def test_job_name_completion_fails_silently(lifecycle: FakeLifecycle) -> None:
    from typer.main import get_command

    from racetrack.client.commands.jobs import complete_job_name
    from racetrack.client.main import app

    lifecycle.stop()
    ctx: Any = get_command(app).make_context("racetrack", ["logs", "x"], resilient_parsing=True)
    assert complete_job_name(ctx, "a") == []


def test_rejected_token_suggests_logging_in_again(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.tokens.pop(ADMIN_TOKEN)
    result = cli("list")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.endswith(
        f"Lifecycle response error: Unauthorized: missing or invalid auth token "
        f"(GET {logged_in.lifecycle_url}/api/v1/job returned 401). "
        f"Log in again with: racetrack login <token> --remote {logged_in.lifecycle_url}"
    )


def test_follow_on_a_server_without_log_streaming(
    cli: Cli, logged_in: FakeLifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged_in.add_job("adder", "0.0.1")
    original = logged_in._job_route

    def no_stream(name: str, version: str, rest: list[str], request: Any, handler: Any) -> tuple[int, Any]:
        if rest == ["logs", "stream"]:
            return 404, {"detail": "Not Found"}
        return original(name, version, rest, request, handler)

    monkeypatch.setattr(logged_in, "_job_route", no_stream)
    result = cli("logs", "adder", "-f")
    assert result.exit_code == 1
    assert "doesn't offer log streaming" in result.stderr


def test_verbose_logs_each_request(cli: Cli, logged_in: FakeLifecycle) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = cli("-v", "list")
    assert result.exit_code == 0
    assert re.search(
        rf"DEBUG GET {re.escape(logged_in.lifecycle_url)}/api/v1/job -> 200 \(\d+ ms\)", result.stderr
    )
    assert result.stdout.startswith("NAME")


def test_current_remote_is_announced_with_its_alias(
    cli: Cli, lifecycle: FakeLifecycle, config_path: Path, tty: None
) -> None:
    write_config(
        config_path,
        {
            "lifecycle_url": "local",
            "lifecycle_url_aliases": {"local": lifecycle.url},
            "user_auths": {lifecycle.lifecycle_url: ADMIN_TOKEN},
        },
    )
    result = cli("list")
    assert result.stdout.splitlines()[0].endswith(
        f"INFO Using current remote: {lifecycle.lifecycle_url} (local)"
    )


def test_redirects_are_not_followed_with_the_token(
    cli: Cli, logged_in: FakeLifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = logged_in.handle

    def redirecting(request: Any, handler: Any) -> tuple[int, Any]:
        if request.path.endswith("/api/v1/job"):
            handler.send_response(307)
            handler.send_header("Location", "https://elsewhere.example.org/steal")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return -1, None
        return original(request, handler)

    monkeypatch.setattr(logged_in, "handle", redirecting)
    result = cli("list")
    assert result.exit_code == 1
    assert "Temporary Redirect: redirected to https://elsewhere.example.org/steal; check the remote URL" in (
        result.stderr
    )
