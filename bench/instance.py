"""A private ``racetrack up`` for a suite: temp data dir and HOME, free port, admin logged in.

Used as a context manager; on the way out it stops the server, any job process it started
(even one that left its process tree) and deletes its temp directory.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.processes import Server, free_port, kill_all
from bench.venvs import ROOT

RACETRACK = ROOT / ".venv" / "bin" / "racetrack"
START_TIMEOUT = 60.0
DEPLOY_TIMEOUT = 300.0


class Racetrack:
    """``racetrack up`` on 127.0.0.1:PORT with state in a fresh temp directory."""

    def __init__(self, logs: Path, name: str) -> None:
        if not RACETRACK.exists():
            raise BenchError(f"{RACETRACK} not found: run `make install`")
        self.name = name
        self.root = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.data_dir = self.root / "data"
        self.home = self.root / "home"
        self.home.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.remote = f"{self.url}/lifecycle"
        self.password = secrets.token_urlsafe(16)
        self.token = ""
        self.job_pids: set[int] = set()
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}},
            "HOME": str(self.home),
            "RACETRACK_ADMIN_PASSWORD": self.password,
            "NO_COLOR": "1",
        }
        self.server = Server(
            f"racetrack up ({name})",
            [
                str(RACETRACK),
                "up",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
            ],
            log=logs / f"racetrack-up-{name}.log",
            cwd=self.root,
            env=self.env,
        )

    # ---- life cycle ------------------------------------------------------------------------

    def __enter__(self) -> Racetrack:
        try:
            self.server.start()
            self.server.wait_ready(f"{self.remote}/ready", START_TIMEOUT)
            self.token = self.login()
            self.cli("login", self.token, "--remote", self.remote)
            self.cli("set", "remote", self.remote)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.server.stop()
            kill_all(sorted(self.job_pids))
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    # ---- API and CLI -------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["X-Racetrack-Auth"] = self.token
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.remote}/api/v1/{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            raise BenchError(
                f"{method} {path} answered HTTP {e.code}: {e.read()[:500]!r}{self.server.tail()}"
            ) from e
        except (urllib.error.URLError, OSError) as e:
            raise BenchError(f"{method} {path} failed: {e}{self.server.tail()}") from e

    def login(self) -> str:
        answer = self.api("POST", "users/login", {"username": "admin", "password": self.password}, auth=False)
        token = answer.get("token") if isinstance(answer, dict) else None
        if not token:
            raise BenchError(f"login answered no token: {answer!r}")
        return str(token)

    def cli(self, *args: str, timeout: float = DEPLOY_TIMEOUT) -> subprocess.CompletedProcess[str]:
        argv = [str(RACETRACK), *args]
        try:
            done = subprocess.run(
                argv, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as e:
            raise BenchError(f"`racetrack {' '.join(args)}` did not finish in {timeout:.0f} s") from e
        if done.returncode != 0:
            raise BenchError(
                f"`racetrack {' '.join(args)}` failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
                f"{self.server.tail()}"
            )
        return done

    def deploy(self, sample: Path, force: bool = False) -> float:
        """``racetrack deploy SAMPLE --build-context local``: seconds until the CLI reports the job up."""
        args = ["deploy", str(sample), "--build-context", "local"]
        if force:
            args.append("--force")
        started = time.perf_counter()
        self.cli(*args)
        return time.perf_counter() - started

    def job(self, name: str, version: str = "latest") -> dict[str, Any]:
        """The job's record; remembers its process ids so they are stopped with the instance."""
        record = self.api("GET", f"job/{name}/{version}")
        if not isinstance(record, dict):
            raise BenchError(f"job {name} {version}: unexpected answer {record!r}")
        stats = record.get("infrastructure_stats") or {}
        self.job_pids.update(int(p) for p in stats.get("pids") or [])
        return record
