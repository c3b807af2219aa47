"""call_job: job-to-job calls through the gateway."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from racetrack_job_runtime import call_job, call_job_async
from racetrack_job_runtime.request import Request, request_context

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory


class FakePub:
    """A loopback HTTP server standing in for PUB: records requests, answers like `adder`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        pub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length)) if length else None
                pub.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                        "port": self.client_address[1],
                    }
                )
                time.sleep(pub.delay)
                if pub.status != 200:
                    answer = json.dumps({"error": "no permission"}).encode()
                    self.send_response(pub.status)
                else:
                    answer = json.dumps(sum(body["numbers"]) if body else None).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pub"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePub]:
    from racetrack_job_runtime import chain

    fake = FakePub()
    monkeypatch.setenv("PUB_URL", fake.url)
    monkeypatch.setenv("JOB_NAME", "python-chain")
    monkeypatch.setenv("AUTH_TOKEN", "family-token")
    for name in ("REQUEST_TRACING_HEADER", "CALLER_NAME_HEADER"):
        monkeypatch.delenv(name, raising=False)
    yield fake
    chain._pool.close()
    fake.close()


def test_call_goes_through_pub_with_the_family_token_and_json_payload(pub: FakePub) -> None:
    assert call_job("adder", payload={"numbers": [40, 2]}) == 42
    request = pub.requests[0]
    assert request["path"] == "/pub/job/adder/latest/api/v1/perform"
    assert request["headers"]["X-Racetrack-Auth"] == "family-token"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == {"numbers": [40, 2]}


def test_path_and_version_are_part_of_the_url(pub: FakePub) -> None:
    call_job("adder", "/api/v1/explain", {"numbers": [1]}, version="1.x")
    assert pub.requests[0]["path"] == "/pub/job/adder/1.x/api/v1/explain"


def test_upstream_form_with_the_entrypoint_first_is_accepted(pub: FakePub) -> None:
    entrypoint = object()
    assert call_job(entrypoint, "adder", "/api/v1/perform", {"numbers": [1, 2]}) == 3
    assert pub.requests[0]["path"] == "/pub/job/adder/latest/api/v1/perform"


def test_tracing_id_and_caller_name_of_the_current_request_are_propagated(
    pub: FakePub, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = request_context.set(Request({"headers": []}, "trace-7", "User ann"))
    try:
        call_job("adder", payload={"numbers": [1]})
        monkeypatch.setenv("REQUEST_TRACING_HEADER", "traceparent")
        call_job("adder", payload={"numbers": [1]})
    finally:
        request_context.reset(token)
    first, second = (r["headers"] for r in pub.requests)
    assert (first["X-Request-Tracing-Id"], first["X-Caller-Name"]) == ("trace-7", "User ann")
    assert second["traceparent"] == "trace-7"


def test_connections_are_kept_alive_and_reused(pub: FakePub) -> None:
    for _ in range(3):
        call_job("adder", payload={"numbers": [1]})
    assert len({r["port"] for r in pub.requests}) == 1


def test_http_error_raises_runtime_error_with_the_response_body(pub: FakePub) -> None:
    pub.status = 401
    with pytest.raises(RuntimeError) as info:
        call_job("adder", payload={"numbers": [1]})
    message = str(info.value)
    assert message.startswith('failed to call job "adder latest" by python-chain: 401 Unauthorized')
    assert message.endswith('{"error": "no permission"}')


def test_timeout_is_explicit_and_configurable(pub: FakePub) -> None:
    pub.delay = 3.0
    started = time.monotonic()
    with pytest.raises(RuntimeError, match='failed to call job "adder latest" by python-chain: .*timed out'):
        call_job("adder", payload={"numbers": [1]}, timeout=0.2)
    assert time.monotonic() - started < 2  # the answer would take 3 s


def test_unreachable_gateway_raises_runtime_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOB_NAME", "python-chain")
    monkeypatch.setenv("PUB_URL", "http://127.0.0.1:9/pub")
    with pytest.raises(RuntimeError, match='^failed to call job "adder latest" by python-chain: '):
        call_job("adder", payload={})


def test_missing_environment_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOB_NAME", raising=False)
    monkeypatch.setenv("PUB_URL", "http://pub")
    with pytest.raises(RuntimeError, match="JOB_NAME env var is not set"):
        call_job("adder")
    monkeypatch.setenv("JOB_NAME", "me")
    monkeypatch.delenv("PUB_URL")
    with pytest.raises(RuntimeError, match="PUB_URL env var is not set"):
        call_job("adder")


@pytest.mark.anyio
async def test_async_twin_returns_the_same(pub: FakePub) -> None:
    assert await call_job_async("adder", payload={"numbers": [2, 3]}) == 5


@pytest.mark.anyio
async def test_chain_sample_rounds_the_result_of_adder_and_propagates_tracing(
    pub: FakePub, jobs: AppFactory
) -> None:
    client = jobs.client(SAMPLES / "python-chain", "entrypoint.py", "JobEntrypoint")
    response = await client.post(
        "/api/v1/perform", json={"numbers": [40, 2.7]}, headers={"X-Request-Tracing-Id": "chain-1"}
    )
    assert (response.status_code, response.json()) == (200, 43)
    assert pub.requests[0]["headers"]["X-Request-Tracing-Id"] == "chain-1"
    pub.status = 401
    failed = await client.post("/api/v1/perform", json={"numbers": [1]})
    assert failed.status_code == 500
    assert "401 Unauthorized" in failed.json()["error"]


def test_default_timeout_is_ten_seconds() -> None:
    import inspect

    from racetrack_job_runtime.chain import DEFAULT_TIMEOUT, _call_job

    assert DEFAULT_TIMEOUT == 10.0
    assert inspect.signature(_call_job).parameters["timeout"].default == 10.0
