"""The core loop as a user runs it: log in, deploy, call through PUB, inspect, delete."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.conftest import SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def adder(cli: Cli) -> str:
    result = cli("deploy", str(SAMPLES / "python-class"), "--force")
    assert "has been deployed" in result.stdout
    return result.stdout


def test_deploy_prints_the_job_url(adder: str, server: Server) -> None:
    assert f"{server.pub}/job/adder/0.0.2" in adder


def test_call_returns_the_sum(adder: str, cli: Cli) -> None:
    result = cli("call", "adder", "/api/v1/perform", '{"numbers": [40, 2]}')
    assert "42" in result.stdout


def test_call_with_curl_prints_a_runnable_command(adder: str, cli: Cli, admin_token: str) -> None:
    result = cli("call", "adder", "/api/v1/perform", '{"numbers": [1, 2]}', "--curl")
    assert result.stdout.startswith("curl ")
    assert "/pub/job/adder/" in result.stdout
    assert admin_token in result.stdout


def test_pub_serves_version_wildcards_with_the_saved_token(
    adder: str, server: Server, admin_token: str
) -> None:
    for version in ("0.0.2", "latest", "0.x", "0.0.x"):
        response = httpx.post(
            f"{server.pub}/job/adder/{version}/api/v1/perform",
            json={"numbers": [40, 2]},
            headers={"X-Racetrack-Auth": admin_token, "X-Request-Tracing-Id": "e2e-trace"},
        )
        assert response.status_code == 200, response.text
        assert response.json() == 42
        assert response.headers["X-Request-Tracing-Id"] == "e2e-trace"
        assert "gateway" in response.headers["Server-Timing"]


def test_pub_rejects_calls_without_a_valid_token(adder: str, server: Server) -> None:
    url = f"{server.pub}/job/adder/latest/api/v1/perform"
    assert httpx.post(url, json={"numbers": [1]}).status_code == 401
    bad = httpx.post(url, json={"numbers": [1]}, headers={"X-Racetrack-Auth": "rt_u_forged"})
    assert bad.status_code == 401
    assert "error" in bad.json()


def test_job_health_is_open_without_a_token(adder: str, server: Server) -> None:
    response = httpx.get(f"{server.pub}/job/adder/latest/health")
    assert response.status_code == 200
    assert response.json()["job_name"] == "adder"


def test_unknown_job_gives_404_json(adder: str, server: Server, admin_token: str) -> None:
    response = httpx.get(
        f"{server.pub}/job/no-such-job/latest/api/v1/perform", headers={"X-Racetrack-Auth": admin_token}
    )
    assert response.status_code == 404
    assert "error" in response.json()


def test_list_shows_the_running_job(adder: str, cli: Cli) -> None:
    result = cli("list", "-c", "all")
    row = next(line for line in result.stdout.splitlines() if line.startswith("adder"))
    assert "0.0.2" in row and "running" in row.lower()


def test_logs_and_build_logs_are_readable(adder: str, cli: Cli) -> None:
    cli("call", "adder", "/api/v1/perform", '{"numbers": [1, 1]}')
    logs = cli("logs", "adder", "--tail", "50")
    assert "/api/v1/perform" in logs.stdout
    build_logs = cli("build-logs", "adder")
    assert build_logs.stdout.strip()


def test_redeploy_without_force_is_refused_and_the_job_keeps_serving(adder: str, cli: Cli) -> None:
    result = cli("deploy", str(SAMPLES / "python-class"), check=False)
    assert result.returncode != 0
    assert "--force" in result.stdout + result.stderr
    assert "42" in cli("call", "adder", "/api/v1/perform", '{"numbers": [40, 2]}').stdout


def test_validate_prints_the_evaluated_manifest(cli: Cli) -> None:
    result = cli("validate", str(SAMPLES / "python-class"), "-e", "replicas=2")
    assert "replicas: 2" in result.stdout
    assert "name: adder" in result.stdout


def test_malformed_manifest_is_rejected_before_any_build(cli: Cli, tmp_path: pytest.TempPathFactory) -> None:
    job = tmp_path / "job"  # type: ignore[operator]
    job.mkdir()
    (job / "job.yaml").write_text(
        "name: bad\nowner_email: a@b.c\njobtype: python3:latest\ngit:\n  remote: ssh://x\n"
    )
    result = cli("deploy", str(job), check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "git.remote" in output
    assert "Traceback" not in output


def test_delete_stops_the_job(cli: Cli, server: Server, admin_token: str) -> None:
    cli("deploy", str(SAMPLES / "python-class"), "--force", "-e", "name=adder-delete-me")
    url = f"{server.pub}/job/adder-delete-me/0.0.2/api/v1/perform"
    headers = {"X-Racetrack-Auth": admin_token}
    assert httpx.post(url, json={"numbers": [1, 2]}, headers=headers).json() == 3
    result = cli("delete", "adder-delete-me", "--version", "0.0.2")
    assert "deleted" in result.stdout
    assert httpx.post(url, json={"numbers": [1, 2]}, headers=headers).status_code == 404
    assert "adder-delete-me" not in cli("list").stdout


SAMPLE_CHECKS = [
    ("python-auxiliary-endpoints", "python-auxiliary-endpoints", "/api/v1/explain", {"x": 1, "y": 2}),
    ("python-static-endpoints", "python-static-endpoints", None, None),
    ("python-ui-flask", "python-ui-flask", None, None),
    ("python-metrics", "python-metrics", "/api/v1/perform", {}),
    ("overlays", "overlays-dev", None, None),
    ("python-requirements", None, "/api/v1/perform", None),
]


@pytest.mark.parametrize("folder", [check[0] for check in SAMPLE_CHECKS])
def test_every_sample_deploys_and_answers(folder: str, cli: Cli, server: Server, admin_token: str) -> None:
    path = SAMPLES / folder
    deployed = cli("deploy", str(path), "--force", timeout=300)
    assert "has been deployed" in deployed.stdout
    job_url = next(word for word in deployed.stdout.split() if "/pub/job/" in word).rstrip(".")
    health = httpx.get(f"{job_url}/health")
    assert health.status_code == 200, health.text
    docs = httpx.get(f"{job_url}/docs", headers={"X-Racetrack-Auth": admin_token})
    assert docs.status_code == 200
    assert json.dumps(health.json())
