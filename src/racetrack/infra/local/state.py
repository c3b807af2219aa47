"""What the local target persists per job version, so a restarted platform finds its jobs.

``<data>/jobs/<resource_name>/state.json`` holds the deployments of that job version (ports,
pids and process start times, command, environment *without* secrets); ``secrets.bin`` beside
it holds, encrypted with the platform key, the job's :class:`JobSecrets` and the secret runtime
env of each deployment (needed to restart a replica). Both are written atomically (temporary
file + rename); ``secrets.bin`` with mode 600.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, PrivateAttr

from racetrack.core.errors import RacetrackError
from racetrack.plugins.interfaces import GitCredentials, JobSecrets

STATE_FILE = "state.json"
SECRETS_FILE = "secrets.bin"


class ReplicaState(BaseModel):
    """One replica: a process on a loopback port."""

    index: int
    port: int
    pid: int | None = None  # None while down (crashed, stopped)
    start_ticks: int | None = None  # /proc/<pid>/stat start time: tells a recycled pid apart
    started_at: float | None = None  # unix time of the last start
    restarts: int = 0
    error: str | None = None  # why it is down, while it is down
    last_exit: str | None = None  # why it last went down

    _popen: subprocess.Popen[bytes] | None = PrivateAttr(default=None)  # None when adopted
    _backoff: float = PrivateAttr(default=0.0)  # current restart delay
    _next_start: float | None = PrivateAttr(default=None)  # monotonic time of the scheduled restart


class DeploymentState(BaseModel):
    """The replicas one deployment started; promoted once it passed its health checks."""

    deployment_id: str
    deployment_timestamp: int
    promoted: bool = False
    command: list[str]  # with {python} {port} {source} placeholders
    env: dict[str, str]  # plain env vars (artifact + request + platform); no secrets
    artifact_env: dict[str, str] = {}  # the artifact's own part of env (for a reprovision)
    secret_names: list[str] = []  # names of the secret vars kept in secrets.bin
    cwd: str  # the artifact's source directory
    env_dir: str | None = None  # the artifact's virtualenv
    artifact_name: str
    memory_max_bytes: int | None = None
    replicas: list[ReplicaState]
    created: int

    _secret_env: dict[str, str] = PrivateAttr(default_factory=dict)


class JobState(BaseModel):
    """Every deployment of one job version this target runs."""

    name: str
    version: str
    resource_name: str
    deployments: list[DeploymentState] = []  # oldest first; the last one is the newest
    create_time: int
    update_time: int


def _write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_state(job_dir: Path, state: JobState) -> None:
    _write_atomically(job_dir / STATE_FILE, state.model_dump_json(indent=2).encode())


def load_state(job_dir: Path) -> JobState | None:
    """The saved state, or None when there is none (or it is unreadable: logged by the caller)."""
    path = job_dir / STATE_FILE
    if not path.is_file():
        return None
    return JobState.model_validate_json(path.read_bytes())


class SecretsFile:
    """``secrets.bin`` of one job version: ``{"job_secrets": {...}, "runtime": {deployment_id: env}}``."""

    def __init__(self, job_dir: Path, encrypt: Callable[[bytes], bytes], decrypt: Callable[[bytes], bytes]):
        self.path = job_dir / SECRETS_FILE
        self._encrypt = encrypt
        self._decrypt = decrypt

    def read(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self._decrypt(self.path.read_bytes()))
        except Exception as e:
            raise RacetrackError(
                f"cannot decrypt {self.path}: {type(e).__name__} (was the platform's secret key changed?)"
            ) from None
        return data if isinstance(data, dict) else {}

    def write(self, data: dict[str, Any]) -> None:
        if not data.get("job_secrets") and not data.get("runtime"):
            self.path.unlink(missing_ok=True)
            return
        _write_atomically(self.path, self._encrypt(json.dumps(data).encode()), mode=0o600)

    def job_secrets(self) -> JobSecrets | None:
        raw = self.read().get("job_secrets")
        if not raw:
            return None
        creds = raw.get("git_credentials")
        return JobSecrets(
            git_credentials=GitCredentials(creds["username"], creds["password"]) if creds else None,
            secret_build_env=dict(raw.get("secret_build_env") or {}),
            secret_runtime_env=dict(raw.get("secret_runtime_env") or {}),
        )

    def set_job_secrets(self, secrets: JobSecrets) -> None:
        data = self.read()
        creds = secrets.git_credentials
        data["job_secrets"] = {
            "git_credentials": {"username": creds.username, "password": creds.password} if creds else None,
            "secret_build_env": secrets.secret_build_env,
            "secret_runtime_env": secrets.secret_runtime_env,
        }
        self.write(data)

    def runtime_env(self, deployment_id: str) -> dict[str, str]:
        return dict(self.read().get("runtime", {}).get(deployment_id) or {})

    def set_runtime_env(self, deployment_id: str, env: dict[str, str] | None) -> None:
        """Store (or with None, forget) the secret runtime env of a deployment."""
        data = self.read()
        runtime = data.setdefault("runtime", {})
        if env:
            runtime[deployment_id] = env
        else:
            runtime.pop(deployment_id, None)
        self.write(data)

    def keep_runtime_envs(self, deployment_ids: set[str]) -> None:
        """Forget the secret runtime env of every deployment not in ``deployment_ids``."""
        data = self.read()
        runtime = data.get("runtime", {})
        if set(runtime) - deployment_ids:
            data["runtime"] = {k: v for k, v in runtime.items() if k in deployment_ids}
            self.write(data)
