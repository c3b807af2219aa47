"""End-to-end fixtures: a real ``racetrack up`` process and the CLI run as a user runs it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
ADMIN_PASSWORD = "e2e-admin-password"
UPSTREAM_CLIENT = "racetrack-client==2.26.0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def racetrack_bin() -> str:
    candidate = Path(sys.executable).parent / "racetrack"
    return str(candidate) if candidate.exists() else (shutil.which("racetrack") or "racetrack")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    data_dir: Path
    log_path: Path

    @property
    def remote(self) -> str:
        return f"{self.base_url}/lifecycle"

    @property
    def pub(self) -> str:
        return f"{self.base_url}/pub"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Cli:
    """Runs a ``racetrack`` executable with its own HOME (so its own ~/.racetrack/config.yaml)."""

    executable: str
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def __call__(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HOME": str(self.home), "NO_COLOR": "1", "COLUMNS": "200", **self.env}
        env.pop("RACETRACK_CONFIG", None)
        result = subprocess.run(
            [self.executable, *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"racetrack {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result


def _wait_ready(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"racetrack up exited early:\n{server.output()}")
        try:
            if httpx.get(f"{server.remote}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"racetrack up not ready after {timeout}s:\n{server.output()}")


def start_server(
    root: Path,
    *,
    port: int | None = None,
    data_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    args: list[str] | None = None,
) -> Server:
    """Start ``racetrack up`` (or ``racetrack <args>``) and wait until Lifecycle is ready."""
    data_dir = data_dir or root / "data"
    log_path = root / f"server-{time.monotonic_ns()}.log"
    port = port or free_port()
    env = {
        **os.environ,
        "HOME": str(root),
        "RACETRACK_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LOG_LEVEL": "DEBUG",
        **(extra_env or {}),
    }
    if "DATABASE_URL" not in (extra_env or {}):
        env.pop("DATABASE_URL", None)
    command = args or ["up", "--port", str(port), "--data-dir", str(data_dir)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [racetrack_bin(), *command],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    srv = Server(process, f"http://127.0.0.1:{port}", data_dir, log_path)
    try:
        _wait_ready(srv)
    except BaseException:
        stop_server(srv)
        raise
    return srv


def stop_server(server: Server, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
    """Signal the server and return its exit code (killing it if it does not stop in time)."""
    process = server.process
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"server did not stop within {timeout}s after {sig.name}") from None
    return int(process.returncode)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("racetrack-up"))
    try:
        yield srv
    finally:
        stop_server(srv)


@pytest.fixture(scope="session")
def cli(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """Our CLI, logged in as admin to the session's server."""
    client = Cli(racetrack_bin(), tmp_path_factory.mktemp("home"))
    client("login", "--username", "admin", "--remote", server.remote, input=ADMIN_PASSWORD + "\n")
    client("set", "remote", server.remote)
    return client


@pytest.fixture(scope="session")
def admin_token(cli: Cli) -> str:
    return cli("get", "auth-token").stdout.strip()


@pytest.fixture(scope="session")
def upstream_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """The published racetrack-client 2.26.0 in a virtualenv of its own."""
    venv = tmp_path_factory.mktemp("upstream-client") / "venv"
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    require(Path(uv).exists() or shutil.which("uv") is not None, "uv is needed to install racetrack-client")
    created = subprocess.run([uv, "venv", "--quiet", str(venv)], capture_output=True, text=True)
    installed = created.returncode == 0 and (
        subprocess.run(
            [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), UPSTREAM_CLIENT],
            capture_output=True,
            text=True,
        ).returncode
        == 0
    )
    require(installed, f"{UPSTREAM_CLIENT} could not be installed from PyPI")
    return Cli(str(venv / "bin" / "racetrack"), tmp_path_factory.mktemp("upstream-home"))
