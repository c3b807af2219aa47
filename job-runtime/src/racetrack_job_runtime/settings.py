"""Settings of one job process, read once at start from the environment and ``job.yaml``.

Every variable the runtime reads is listed in ``ENV_VARS`` with its meaning; the user guide
(docs/python3-jobs.md) documents the same list and a test keeps the two in sync.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from racetrack_job_runtime.errors import InitError

TRUTHY = frozenset({"true", "t", "yes", "y", "1", "on"})
DEFAULT_PORT = 7000
DEFAULT_THREADS = 40
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024
DEFAULT_INLINE_THRESHOLD_MS = 0.5
MANIFEST_FILE = "job.yaml"
# jobtype_extra and its deprecated aliases, first match wins
JOBTYPE_EXTRA_KEYS = ("jobtype_extra", "golang", "python", "wrapper_properties")

ENV_VARS: dict[str, str] = {
    "JOB_NAME": "job name; builds the base path /pub/job/<name>/<version>, names the caller in chain calls",
    "JOB_VERSION": "exact job version; used in the base path, /health and the API docs",
    "JOB_DEPLOYMENT_TIMESTAMP": "integer set by the infrastructure, reported by /live and /health",
    "GIT_VERSION": "reported by /health",
    "DEPLOYED_BY_RACETRACK_VERSION": "reported by /health",
    "JOB_TYPE_VERSION": "reported by /health",
    "PUB_URL": "internal gateway URL used by call_job, e.g. http://pub:7205/pub",
    "AUTH_TOKEN": "job family token sent by call_job in X-Racetrack-Auth",
    "REQUEST_TRACING_HEADER": "name of the tracing id header (default X-Request-Tracing-Id)",
    "CALLER_NAME_HEADER": "name of the caller name header (default X-Caller-Name)",
    "LOG_LEVEL": "level of every logger, user loggers included (default INFO; `racetrack` logger DEBUG)",
    "LOG_STRUCTURED": "true: one JSON object per log line",
    "LOG_CALLER_NAME": "true: add caller_name to the log lines of a request",
    "RUNTIME_THREADS": "size of the worker thread pool running synchronous user code (default 40)",
    "RUNTIME_MAX_BODY_BYTES": "largest accepted request body; larger ones get 413 (default 104857600)",
    "RUNTIME_INLINE_THRESHOLD_MS": "calls that consistently finish faster than this run on the event loop "
    "instead of a worker thread (default 0.5; 0 disables)",
    "VENV_PACKAGES_PATH": "optional site-packages directory put first on the import path",
}


def env_flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in TRUTHY


def _env_int(environ: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InitError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise InitError(f"{name} must be at least {minimum}, got {value}")
    return value


def _env_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InitError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise InitError(f"{name} must not be negative, got {value}")
    return value


def _timestamp(raw: str) -> int:
    try:
        return int(float(raw.strip())) if raw.strip() else 0
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the runtime reads from outside, after validation."""

    job_name: str = ""
    job_version: str = ""
    deployment_timestamp: int = 0
    git_version: str = ""
    deployed_by_racetrack_version: str = ""
    job_type_version: str = ""
    pub_url: str = ""
    auth_token: str = ""
    tracing_header: str = "X-Request-Tracing-Id"
    caller_header: str = "X-Caller-Name"
    log_level: str = ""
    log_structured: bool = False
    log_caller_name: bool = False
    threads: int = DEFAULT_THREADS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    inline_threshold: float = DEFAULT_INLINE_THRESHOLD_MS / 1000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            job_name=env.get("JOB_NAME", ""),
            job_version=env.get("JOB_VERSION", ""),
            deployment_timestamp=_timestamp(env.get("JOB_DEPLOYMENT_TIMESTAMP", "")),
            git_version=env.get("GIT_VERSION", ""),
            deployed_by_racetrack_version=env.get("DEPLOYED_BY_RACETRACK_VERSION", ""),
            job_type_version=env.get("JOB_TYPE_VERSION", ""),
            pub_url=env.get("PUB_URL", ""),
            auth_token=env.get("AUTH_TOKEN", ""),
            tracing_header=env.get("REQUEST_TRACING_HEADER", "").strip() or "X-Request-Tracing-Id",
            caller_header=env.get("CALLER_NAME_HEADER", "").strip() or "X-Caller-Name",
            log_level=env.get("LOG_LEVEL", "").strip().upper(),
            log_structured=env_flag(env, "LOG_STRUCTURED"),
            log_caller_name=env_flag(env, "LOG_CALLER_NAME"),
            threads=_env_int(env, "RUNTIME_THREADS", DEFAULT_THREADS, 1),
            max_body_bytes=_env_int(env, "RUNTIME_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 0),
            inline_threshold=_env_float(env, "RUNTIME_INLINE_THRESHOLD_MS", DEFAULT_INLINE_THRESHOLD_MS)
            / 1000,
        )

    @property
    def base_path(self) -> str:
        """``/pub/job/<name>/<version>`` when the job name is known, else ``""`` (served at root)."""
        if not self.job_name:
            return ""
        return f"/pub/job/{self.job_name}/{self.job_version or 'latest'}"


def read_jobtype_extra(directory: str = ".") -> dict[str, Any]:
    """``jobtype_extra`` (or a deprecated alias) of ``job.yaml`` in ``directory``; ``{}`` if absent."""
    path = os.path.join(directory, MANIFEST_FILE)
    if not os.path.isfile(path):
        return {}
    import yaml  # only when a manifest is present: keeps idle memory low otherwise

    try:
        with open(path, encoding="utf-8") as file:
            manifest = yaml.safe_load(file)
    except (OSError, yaml.YAMLError) as e:
        raise InitError(f"reading {MANIFEST_FILE}: {e}") from e
    if not isinstance(manifest, dict):
        return {}
    for key in JOBTYPE_EXTRA_KEYS:
        extra = manifest.get(key)
        if isinstance(extra, dict):
            return extra
    return {}


def home_page_of(extra: Mapping[str, Any]) -> str:
    """The ``home_page`` of jobtype_extra, normalised to start with ``/``; default ``/docs``."""
    page = str(extra.get("home_page") or "/docs").strip()
    return page if page.startswith("/") else "/" + page
