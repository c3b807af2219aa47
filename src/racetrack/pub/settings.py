"""PUB's settings, read from the environment once at start-up (names as upstream where it has one)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(*names: str) -> AliasChoices:
    """Accept the field's own name (for keyword construction) and the given environment names."""
    return AliasChoices(*names)


class PubSettings(BaseSettings):
    """Configuration of the job gateway. Every field maps to one environment variable."""

    model_config = SettingsConfigDict(extra="forbid", populate_by_name=True, case_sensitive=False)

    # Listen port of `racetrack serve pub` (PUB listens on all interfaces).
    port: int = Field(7205, ge=0, le=65535, validation_alias=_env("port", "PUB_PORT"))
    # Every route is served at the raw path (/job/...) and again under /<service_name> (/pub/job/...).
    service_name: str = Field("pub", validation_alias=_env("service_name", "SERVICE_NAME"))
    # Base URL of Lifecycle; PUB asks <lifecycle_url>/api/v1/auth/can-call-job/... before each call.
    lifecycle_url: str = Field(
        "http://127.0.0.1:7202/lifecycle", validation_alias=_env("lifecycle_url", "LIFECYCLE_URL")
    )
    # Internal token for PUB's own calls to Lifecycle (reserved for async calls; never sent on behalf
    # of a caller: authorisation checks carry the caller's own token).
    lifecycle_auth_token: str | None = Field(
        None, validation_alias=_env("lifecycle_auth_token", "LIFECYCLE_AUTH_TOKEN")
    )
    # Only echoed in /health (as upstream): Lifecycle alone decides whether a call needs a token.
    auth_required: bool = Field(True, validation_alias=_env("auth_required", "AUTH_REQUIRED"))
    # Put Lifecycle's detailed reason into 401 answers (useful while setting up permissions).
    auth_debug: bool = Field(False, validation_alias=_env("auth_debug", "AUTH_DEBUG"))
    # Scheme used to reach jobs ("http" or "https").
    forward_to_protocol: str = Field(
        "http", pattern="^https?$", validation_alias=_env("forward_to_protocol", "FORWARD_TO_PROTOCOL")
    )
    # Header carrying the request tracing id (read, else generated; forwarded and returned).
    request_tracing_header: str = Field(
        "X-Request-Tracing-Id",
        min_length=1,
        validation_alias=_env("request_tracing_header", "REQUEST_TRACING_HEADER"),
    )
    # Header telling the job who calls it (Lifecycle's caller description); never taken from a client.
    caller_name_header: str = Field(
        "X-Caller-Name", min_length=1, validation_alias=_env("caller_name_header", "CALLER_NAME_HEADER")
    )
    # Seconds an allowed authorisation answer is reused without asking Lifecycle (0 disables caching).
    cache_ttl_positive: float = Field(
        3.0,
        ge=0,
        validation_alias=_env(
            "cache_ttl_positive", "LIFECYCLE_CACHE_TTL_POSITIVE", "LIFECYCLE_CACHE_TTL_MIN"
        ),
    )
    # Seconds a refusal (401, 404, 503) is reused; keep it short so new grants take effect quickly.
    cache_ttl_negative: float = Field(
        1.0, ge=0, validation_alias=_env("cache_ttl_negative", "LIFECYCLE_CACHE_TTL_NEGATIVE")
    )
    # Seconds an allowed answer may still be used while Lifecycle is failing (network error, 5xx).
    cache_stale_if_error: float = Field(
        600.0,
        ge=0,
        validation_alias=_env(
            "cache_stale_if_error", "LIFECYCLE_CACHE_STALE_IF_ERROR", "LIFECYCLE_CACHE_TTL_MAX"
        ),
    )
    # Most authorisation answers kept in memory; the least recently used one goes first.
    cache_max_entries: int = Field(
        10_000, ge=1, validation_alias=_env("cache_max_entries", "LIFECYCLE_CACHE_MAX_ENTRIES")
    )
    # Seconds to open a TCP connection to a job before answering 502 (a dead job fails fast).
    job_connect_timeout: float = Field(
        1.0, gt=0, validation_alias=_env("job_connect_timeout", "PUB_JOB_CONNECT_TIMEOUT")
    )
    # Seconds of silence tolerated from a job (waiting for its answer or its next body chunk) before 504.
    job_request_timeout: float = Field(
        600.0, gt=0, validation_alias=_env("job_request_timeout", "PUB_JOB_REQUEST_TIMEOUT")
    )
    # Seconds to wait for Lifecycle's authorisation answer before using a stale one or answering 500.
    lifecycle_timeout: float = Field(
        10.0, gt=0, validation_alias=_env("lifecycle_timeout", "PUB_LIFECYCLE_TIMEOUT")
    )
    # Pooled keep-alive connections per job replica (and to Lifecycle).
    max_connections_per_host: int = Field(
        100, ge=1, validation_alias=_env("max_connections_per_host", "PUB_MAX_CONNECTIONS_PER_HOST")
    )
    # HTTP client forwarding calls to jobs: PUB's own ("native", racetrack.pub.upstream) or aiohttp's.
    upstream_client: Literal["native", "aiohttp"] = Field(
        "native", validation_alias=_env("upstream_client", "PUB_UPSTREAM_CLIENT")
    )
    # Largest request body forwarded to a job, in bytes; bigger ones get 413 (0 = no limit).
    max_body_bytes: int = Field(
        100 * 1024 * 1024, ge=0, validation_alias=_env("max_body_bytes", "PUB_MAX_BODY_BYTES")
    )
    # Log one INFO line per forwarded call ("Proxy request done", with the caller); ~30 µs per call.
    access_log: bool = Field(True, validation_alias=_env("access_log", "PUB_ACCESS_LOG"))
    # Version of this deployment, reported in /health.
    git_version: str = Field("", validation_alias=_env("git_version", "GIT_VERSION"))

    @field_validator("service_name")
    @classmethod
    def _strip_slashes(cls, value: str) -> str:
        value = value.strip("/")
        if not value or "/" in value:
            raise ValueError("SERVICE_NAME must be one path segment, e.g. 'pub'")
        return value

    @field_validator("lifecycle_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")
