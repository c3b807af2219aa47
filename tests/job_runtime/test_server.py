"""The runtime as a real process: two-phase startup, init failures, stdin, shutdown, logs."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.job_runtime.job_runtime_support import SAMPLES, JobProcess, write_job

StartJob = Callable[..., JobProcess]
ENV = {"JOB_NAME": "adder", "JOB_VERSION": "0.0.2", "JOB_DEPLOYMENT_TIMESTAMP": "1700000123"}


def test_adder_sample_serves_perform_under_the_gateway_prefix(job_process: StartJob) -> None:
    job = job_process(SAMPLES / "python-class", "adder.py", "AdderModel", env=ENV)
    job.wait_until_ready()
    response = job.post("/pub/job/adder/latest/api/v1/perform", json={"numbers": [40, 2]})
    assert (response.status_code, response.json()) == (200, 42)
    assert job.get("/live").json() == {"live": True, "deployment_timestamp": 1700000123}
    assert "Server is ready" in job.output()


def test_server_answers_probes_while_init_runs_then_becomes_ready(
    tmp_path: Path, job_process: StartJob
) -> None:
    write_job(
        tmp_path,
        """
        import time

        class Slow:
            def __init__(self):
                time.sleep(1.5)

            def perform(self):
                return "ok"
        """,
    )
    job = job_process(tmp_path, "entrypoint.py", env=ENV)
    job.wait_until_up()
    assert job.get("/live").status_code == 200
    ready = job.get("/ready")
    assert (ready.status_code, ready.json()) == (500, {"ready": False})
    assert job.get("/health").json()["status"] == "fail"
    job.wait_until_ready()
    assert job.post("/api/v1/perform").json() == "ok"
    assert job.get("/health").status_code == 200


def test_init_failure_makes_live_500_with_a_one_line_summary_and_logs_the_traceback(
    tmp_path: Path, job_process: StartJob
) -> None:
    write_job(
        tmp_path,
        """
        import json

        def load():
            return json.loads("{broken")

        class Model:
            def __init__(self):
                self.config = load()
        """,
    )
    job = job_process(tmp_path, "entrypoint.py", env=ENV)
    job.wait_for(lambda: job.get("/live").status_code == 500)
    body = job.get("/live").json()
    assert body["live"] is False and body["deployment_timestamp"] == 1700000123
    error = body["error"]
    assert error.startswith("initializing entrypoint class Model: Expecting property name")
    assert ", cause=JSONDecodeError, traceback=" in error
    assert re.search(r"traceback=.*entrypoint\.py:\d+, .*entrypoint\.py:\d+", error)
    assert "\n" not in error
    assert job.get("/ready").status_code == 500
    output = job.output()
    assert "Job initialization failed" in output
    assert "Traceback (most recent call last)" in output
    assert 'json.loads("{broken")' in output


def test_reading_stdin_at_init_fails_with_a_stack_trace(tmp_path: Path, job_process: StartJob) -> None:
    write_job(
        tmp_path,
        """
        class Model:
            def __init__(self):
                self.answer = input("continue? ")
        """,
    )
    job = job_process(tmp_path, "entrypoint.py")
    job.wait_for(lambda: job.get("/live").status_code == 500, timeout=10)
    error = job.get("/live").json()["error"]
    assert "reading from stdin is forbidden" in error
    assert "cause=EOFError" in error
    assert re.search(r"entrypoint\.py:4", error), error


def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path, job_process: StartJob) -> None:
    write_job(
        tmp_path,
        "import time\n\nclass M:\n    def perform(self):\n        time.sleep(1)\n        return 'done'\n",
    )
    job = job_process(tmp_path, "entrypoint.py")
    job.wait_until_ready()
    with httpx.Client() as client:
        import threading

        result: dict[str, httpx.Response] = {}
        thread = threading.Thread(target=lambda: result.update(r=client.post(job.url + "/api/v1/perform")))
        thread.start()
        time.sleep(0.3)
        job.terminate()
        thread.join(10)
    assert result["r"].status_code == 200 and result["r"].json() == "done"
    assert job.process.wait(10) is not None


def test_sigterm_stops_within_the_grace_period_even_with_a_stuck_request(
    tmp_path: Path, job_process: StartJob
) -> None:
    write_job(tmp_path, "import time\n\nclass M:\n    def perform(self):\n        time.sleep(60)\n")
    job = job_process(tmp_path, "entrypoint.py")
    job.wait_until_ready()
    sock = socket.create_connection(("127.0.0.1", job.port))
    sock.sendall(b"POST /api/v1/perform HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    time.sleep(0.3)
    started = time.monotonic()
    job.terminate()
    job.process.wait(10)
    assert time.monotonic() - started < 6
    sock.close()


def test_request_abandoned_by_the_client_is_logged(tmp_path: Path, job_process: StartJob) -> None:
    write_job(
        tmp_path, "import time\n\nclass M:\n    def perform(self):\n        time.sleep(1)\n        return 1\n"
    )
    job = job_process(tmp_path, "entrypoint.py")
    job.wait_until_ready()
    with pytest.raises(httpx.ReadTimeout):
        job.post("/api/v1/perform", timeout=0.3, headers={"X-Request-Tracing-Id": "gone-1"})
    job.wait_for(lambda: "Request cancelled by the client" in job.output(), timeout=5)
    line = next(line for line in job.output().splitlines() if "Request cancelled by the client" in line)
    assert "Request cancelled by the client: POST /api/v1/perform" in line
    assert "tracing_id=gone-1" in line


def test_access_log_in_plain_text_skips_probes(job_process: StartJob) -> None:
    job = job_process(SAMPLES / "python-class", "adder.py", "AdderModel", env={"LOG_CALLER_NAME": "true"})
    job.wait_until_ready()
    job.get("/metrics")
    job.get("/health/")
    job.post("/api/v1/perform", json={"numbers": [1]}, headers={"X-Caller-Name": "User zoë".encode()})
    job.wait_for(lambda: "POST /api/v1/perform 200" in job.output(), timeout=5)
    output = job.output()
    assert re.search(
        r'^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] INFO  POST /api/v1/perform 200, caller_name="User zoë"$',
        output,
        re.MULTILINE,
    ), output
    assert "/metrics" not in output and "/health" not in output and "/ready" not in output
    assert "HTTP/1.1" not in output  # uvicorn's own access log is off


def test_structured_logs_are_json_lines(job_process: StartJob) -> None:
    job = job_process(SAMPLES / "python-class", "adder.py", "AdderModel", env={"LOG_STRUCTURED": "true"})
    job.wait_until_ready()
    job.post("/api/v1/perform", json={"numbers": [1]}, headers={"X-Request-Tracing-Id": "t-1"})
    job.wait_for(lambda: "POST /api/v1/perform 200" in job.output(), timeout=5)
    lines = [json.loads(line) for line in job.output().splitlines() if line.strip()]
    assert any(line["msg"] == "Server is ready" for line in lines)
    access = next(line for line in lines if line["msg"] == "POST /api/v1/perform 200")
    assert access["lvl"] == "INFO" and access["tracing_id"] == "t-1" and access["time"].endswith("Z")


def test_command_line_usage() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "racetrack_job_runtime", "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and "run" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "racetrack_job_runtime", "run"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and "entrypoint_path" in result.stderr


def test_invalid_runtime_setting_stops_the_start_with_a_one_line_error(tmp_path: Path) -> None:
    write_job(tmp_path, "class A:\n    pass\n")
    result = subprocess.run(
        [sys.executable, "-m", "racetrack_job_runtime", "run", "entrypoint.py"],
        cwd=tmp_path,
        env={**os.environ, "RUNTIME_THREADS": "many"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == "error: RUNTIME_THREADS must be an integer, got 'many'\n"
