"""Health verification of a new deployment against small real HTTP servers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice

import pytest

from racetrack.core.errors import DeploymentError
from racetrack.lifecycle.health import DeploymentCancelled, HealthCheck, fibonacci_delays

Route = Callable[[str], tuple[int, str | None, bytes]]  # path -> (status, content type, body)


@pytest.fixture
def serve() -> Iterator[Callable[[Route], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(route: Route) -> str:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                status, content_type, body = route(self.path)
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def js(
    status: int, body: object, content_type: str | None = "application/json"
) -> tuple[int, str | None, bytes]:
    return status, content_type, json.dumps(body).encode()


def check(alive: float = 3, ready: float = 3) -> HealthCheck:
    return HealthCheck(alive_timeout=alive, ready_timeout=ready)


def test_delays_start_fast_and_are_capped() -> None:
    assert list(islice(fibonacci_delays(), 6)) == pytest.approx([0.05, 0.05, 0.1, 0.15, 0.25, 0.4])
    assert max(islice(fibonacci_delays(), 30)) == 3.0


def test_a_healthy_job_passes_and_on_alive_runs_once(serve: Callable[[Route], str]) -> None:
    address = serve(
        lambda path: js(
            200, {"live": True, "deployment_timestamp": "42"} if path == "/live" else {"ready": True}
        )
    )
    calls: list[str] = []
    check().wait([address], 42, on_alive=lambda: calls.append("alive"))
    assert calls == ["alive"]


def test_an_old_instance_is_waited_out(serve: Callable[[Route], str]) -> None:
    started = time.monotonic()

    def route(path: str) -> tuple[int, str | None, bytes]:
        timestamp = 7 if time.monotonic() - started > 0.3 else 6
        return js(
            200, {"live": True, "deployment_timestamp": timestamp} if path == "/live" else {"ready": True}
        )

    check().wait([serve(route)], 7, on_alive=lambda: None)
    assert time.monotonic() - started >= 0.3


def test_missing_content_type_does_not_crash_the_check(serve: Callable[[Route], str]) -> None:
    address = serve(lambda path: js(200, {"deployment_timestamp": 5, "ready": True}, content_type=None))
    check().wait([address], 5, on_alive=lambda: None)


def test_initialization_error_fails_at_once(serve: Callable[[Route], str]) -> None:
    address = serve(
        lambda path: js(500, {"live": False, "deployment_timestamp": 9, "error": "ImportError: numpy"})
    )
    with pytest.raises(DeploymentError, match="^Job initialization error: ImportError: numpy$"):
        check().wait([address], 9, on_alive=lambda: None)


def test_missing_liveness_endpoint_fails(serve: Callable[[Route], str]) -> None:
    with pytest.raises(DeploymentError, match="liveness endpoint not found"):
        check().wait([serve(lambda path: js(404, {}))], 1, on_alive=lambda: None)


def test_other_liveness_failures_name_the_status(serve: Callable[[Route], str]) -> None:
    address = serve(lambda path: (502, "text/plain", b"bad gateway"))
    with pytest.raises(DeploymentError, match="^Job liveness error: 502 Bad Gateway$"):
        check().wait([address], 1, on_alive=lambda: None)


def test_unreachable_job_times_out_with_a_cluster_error() -> None:
    with pytest.raises(DeploymentError, match="Cluster error: can't reach Job"):
        check(alive=0.3).wait(["127.0.0.1:9"], 1, on_alive=lambda: None)


def test_readiness_timeout_and_missing_endpoint(serve: Callable[[Route], str]) -> None:
    live = {"live": True, "deployment_timestamp": 3}
    never = serve(lambda path: js(200, live) if path == "/live" else js(500, {"ready": False}))
    with pytest.raises(DeploymentError, match="Job initialization timed out"):
        check(ready=0.3).wait([never], 3, on_alive=lambda: None)
    missing = serve(lambda path: js(200, live) if path == "/live" else js(404, {}))
    with pytest.raises(DeploymentError, match="readiness endpoint not found"):
        check().wait([missing], 3, on_alive=lambda: None)


def test_a_crash_while_initialising_is_reported_early(serve: Callable[[Route], str]) -> None:
    started = time.monotonic()

    def route(path: str) -> tuple[int, str | None, bytes]:
        if path == "/ready":
            return js(500, {"ready": False})
        if time.monotonic() - started < 0.2:
            return js(200, {"live": True, "deployment_timestamp": 4})
        return js(500, {"live": False, "deployment_timestamp": 4, "error": "model file missing"})

    with pytest.raises(DeploymentError, match="Job initialization error: model file missing"):
        check(ready=10).wait([serve(route)], 4, on_alive=lambda: None)


def test_every_replica_is_checked(serve: Callable[[Route], str]) -> None:
    good = serve(lambda path: js(200, {"deployment_timestamp": 8, "ready": True}))
    bad = serve(lambda path: js(500, {"deployment_timestamp": 8, "error": "replica 2 broke"}))
    with pytest.raises(DeploymentError, match="replica 2 broke"):
        check().wait([good, bad], 8, on_alive=lambda: None)


def test_cancel_ends_the_wait() -> None:
    health = check(alive=30)
    threading.Timer(0.2, health.cancel.set).start()
    with pytest.raises(DeploymentCancelled, match="halted due to server shutdown"):
        health.wait(["127.0.0.1:9"], 1, on_alive=lambda: None)


def test_instances_reported_down_by_the_target_fail_at_once() -> None:
    health = HealthCheck(
        alive_timeout=60, ready_timeout=60, failure_probe=lambda: "replica 0 exited with code 3"
    )
    started = time.monotonic()
    with pytest.raises(
        DeploymentError, match="^Job server exited during startup: replica 0 exited with code 3$"
    ):
        health.wait(["127.0.0.1:9"], 1, on_alive=lambda: None)
    assert time.monotonic() - started < 5
