"""The app shell: both path prefixes, probes, metrics, the error shape, access logs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger

from tests.integration.lifecycle.lifecycle_support import TestClient, deploy


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(message.record["message"]), level="DEBUG")
    yield lines
    logger.remove(sink)


@pytest.mark.parametrize("base", ["", "/lifecycle"])
def test_probes_answer_under_both_prefixes(client: TestClient, base: str) -> None:
    assert client.get(f"{base}/live").json() == {"service": "lifecycle", "live": True}
    assert client.get(f"{base}/ready").json() == {"service": "lifecycle", "ready": True}
    health = client.get(f"{base}/health")
    assert health.status_code == 200
    assert health.json() == {
        "service": "lifecycle",
        "live": True,
        "ready": True,
        "database_connected": True,
        "git_version": "unknown",
        "docker_tag": "latest",
        "auth_required": True,
    }


def test_health_is_500_when_the_database_is_down(client: TestClient) -> None:
    client.app.state.lifecycle.db_probe.connected = False  # type: ignore[attr-defined]
    response = client.get("/health")
    assert response.status_code == 500 and response.json()["database_connected"] is False


def test_api_answers_under_both_prefixes(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth)
    assert client.get("/api/v1/job/adder/latest", headers=auth).json()["version"] == "0.0.1"
    assert client.get("/lifecycle/api/v1/job/adder/latest", headers=auth).json()["version"] == "0.0.1"


def test_metrics_are_exported(client: TestClient, auth: dict[str, str]) -> None:
    deploy(client, auth)
    text = client.get("/lifecycle/metrics").text
    for name in (
        "requested_job_deployments_total 1.0",
        "deployed_job_total 1.0",
        "jobs_count_by_status{status=",
        "lifecycle_active_threads_count",
        "lifecycle_database_connected 1.0",
        "metrics_scrapes_total 1.0",
        "commons_requests_started_total",
        "commons_requests_done_total",
        "commons_request_duration_bucket",
        "commons_internal_server_errors_total",
        "lifecycle_event_stream_client_connected",
    ):
        assert name in text, name


def test_errors_share_one_shape(client: TestClient, auth: dict[str, str]) -> None:
    missing_route = client.get("/lifecycle/api/v1/no-such-thing", headers=auth)
    assert missing_route.status_code == 404
    assert missing_route.json() == {"error": "Not Found", "type": "NotFoundError"}
    bad_body = client.post("/lifecycle/api/v1/deploy", json={"force": True}, headers=auth)
    assert bad_body.status_code == 400
    assert bad_body.json() == {
        "error": "invalid request: manifest: Field required",
        "type": "InvalidInputError",
    }
    bad_query = client.get("/lifecycle/api/v1/deploy?limit=zero", headers=auth)
    assert bad_query.status_code == 400 and bad_query.json()["error"].startswith(
        "invalid request: query.limit"
    )


def test_bare_base_path_redirects(client: TestClient) -> None:
    response = client.get("/lifecycle", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/lifecycle/"
    assert "openapi.json" in client.get("/lifecycle/").text
    openapi = client.get("/lifecycle/openapi.json").json()
    assert openapi["info"]["title"] == "Racetrack Lifecycle"
    assert openapi["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-Racetrack-Auth"
    assert "/lifecycle/api/v1/deploy" in openapi["paths"] and "/api/v1/deploy" not in openapi["paths"]


def test_swagger_ui_is_served_with_local_assets_only(client: TestClient) -> None:
    page = client.get("/lifecycle/").text
    assert "/lifecycle/static/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    for name, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
        asset = client.get(f"/lifecycle/static/{name}")
        assert asset.status_code == 200 and kind in asset.headers["content-type"]
        assert len(asset.content) > 1000
    assert client.get("/lifecycle/static/..%2Fsettings.py").status_code == 404


def test_access_log_skips_probes_and_logs_errors_in_one_line(
    client: TestClient, auth: dict[str, str], log_lines: list[str]
) -> None:
    client.get("/live")
    client.get("/lifecycle/metrics")
    client.get("/lifecycle/api/v1/job?x=1", headers=auth)
    client.get("/lifecycle/api/v1/job/nothing/1.0.0", headers=auth)

    assert not any("/live" in line or "/metrics" in line for line in log_lines)
    assert "Request: GET /lifecycle/api/v1/job?x=1" in log_lines
    assert "GET /lifecycle/api/v1/job?x=1 200" in log_lines
    assert "GET /lifecycle/api/v1/job/nothing/1.0.0 failed: job nothing v1.0.0 was not found" in log_lines
    assert "GET /lifecycle/api/v1/job/nothing/1.0.0 404" in log_lines


def test_oversized_deploy_body_is_refused_before_reading_it(make_app: object) -> None:
    app = make_app(max_build_context_bytes=10)  # type: ignore[operator]
    with TestClient(app) as client:
        response = client.post(
            "/lifecycle/api/v1/deploy",
            content=b"x" * (5 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["type"] == "PayloadTooLargeError"


def test_other_origins_may_use_a_token_header_but_never_the_users_cookie(
    client: TestClient, auth: dict[str, str]
) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    preflight = client.options(
        "/lifecycle/api/v1/job",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-racetrack-auth",
        },
    )
    with_header = client.get("/lifecycle/api/v1/job", headers={**origin, **auth})
    with_cookie = client.get(
        "/lifecycle/api/v1/job", headers={**origin, "Cookie": f"X-Racetrack-Auth={auth['X-Racetrack-Auth']}"}
    )

    assert (
        preflight.status_code == 200
        and "x-racetrack-auth" in preflight.headers["access-control-allow-headers"]
    )
    assert with_header.headers["access-control-allow-origin"] == "*"
    for response in (preflight, with_header, with_cookie):
        assert "access-control-allow-credentials" not in response.headers
    assert with_cookie.headers.get("access-control-allow-origin") != "https://elsewhere.example"


def test_braces_in_a_path_or_an_error_message_are_logged_as_text(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.get("/lifecycle/api/v1/job/%7Bname%7D/latest", headers=auth)
    assert response.status_code == 404
    assert "{name}" in response.json()["error"]
