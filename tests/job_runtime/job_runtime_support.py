"""Helpers for the job runtime tests: in-process apps over httpx's ASGI transport, and job
processes started with ``python -m racetrack_job_runtime run`` on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from racetrack_job_runtime.app import JobApp
from racetrack_job_runtime.job import load_job
from racetrack_job_runtime.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"


def write_job(
    directory: Path, source: str, filename: str = "entrypoint.py", manifest: str | None = None
) -> Path:
    """Write an entrypoint (dedented) and optionally a job.yaml into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / filename).write_text(textwrap.dedent(source))
    if manifest is not None:
        (directory / "job.yaml").write_text(textwrap.dedent(manifest))
    return directory


class AppFactory:
    """Builds a ready ``JobApp`` from a job directory and gives an httpx client for it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.apps: list[JobApp] = []

    def app(
        self,
        directory: Path,
        entrypoint: str = "entrypoint.py",
        class_name: str | None = None,
        env: dict[str, str] | None = None,
    ) -> JobApp:
        self.monkeypatch.chdir(directory)
        settings = Settings.from_env({"RUNTIME_INLINE_THRESHOLD_MS": "0", **(env or {})})
        app = JobApp(settings)
        app.set_ready(load_job(entrypoint, class_name, settings, app.metrics))
        self.apps.append(app)
        return app

    def client(
        self,
        directory: Path,
        entrypoint: str = "entrypoint.py",
        class_name: str | None = None,
        env: dict[str, str] | None = None,
    ) -> httpx.AsyncClient:
        return client_for(self.app(directory, entrypoint, class_name, env))

    def close(self) -> None:
        for app in self.apps:
            app.close()


def client_for(app: JobApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


# ---- real job processes -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class JobProcess:
    """A job served by ``python -m racetrack_job_runtime run`` in a subprocess."""

    def __init__(
        self, directory: Path, args: list[str], env: dict[str, str], python: str = sys.executable
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        handle, log_name = tempfile.mkstemp(prefix=f"job-{self.port}-", suffix=".log")
        os.close(handle)
        self.log_path = Path(log_name)  # outside the job directory: samples stay clean
        self._log = self.log_path.open("wb")
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("JOB_", "LOG_", "RUNTIME_"))}
        full_env.update({"PYTHONUNBUFFERED": "1", **env})
        self.process = subprocess.Popen(
            [
                python,
                "-m",
                "racetrack_job_runtime",
                "run",
                *args,
                "--port",
                str(self.port),
                "--host",
                "127.0.0.1",
            ],
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
        )

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url + path, **kwargs)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"job process exited with {self.process.returncode}:\n{self.output()}")
            try:
                if condition():
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"condition not met within {timeout} s; log:\n{self.output()}")

    def wait_until_up(self) -> None:
        self.wait_for(lambda: self.get("/live").status_code in (200, 500))

    def wait_until_ready(self) -> None:
        self.wait_for(lambda: self.get("/ready").status_code == 200)

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()
        self.log_path.unlink(missing_ok=True)


def require(condition: bool, reason: str) -> None:
    """The suite's skip rule (tests/conftest.py): skip on a laptop, fail in CI (``CI=true``)."""
    if condition:
        return
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"required for this test in CI: {reason}")
    pytest.skip(reason)
