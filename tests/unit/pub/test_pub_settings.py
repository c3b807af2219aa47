"""PubSettings: environment names, validation, and every setting documented in docs/pub.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from racetrack.pub.settings import PubSettings

DOCS = Path(__file__).parents[3] / "docs" / "pub.md"

ENV_NAMES = {
    "port": "PUB_PORT",
    "service_name": "SERVICE_NAME",
    "lifecycle_url": "LIFECYCLE_URL",
    "lifecycle_auth_token": "LIFECYCLE_AUTH_TOKEN",
    "auth_required": "AUTH_REQUIRED",
    "auth_debug": "AUTH_DEBUG",
    "forward_to_protocol": "FORWARD_TO_PROTOCOL",
    "request_tracing_header": "REQUEST_TRACING_HEADER",
    "caller_name_header": "CALLER_NAME_HEADER",
    "cache_ttl_positive": "LIFECYCLE_CACHE_TTL_POSITIVE",
    "cache_ttl_negative": "LIFECYCLE_CACHE_TTL_NEGATIVE",
    "cache_stale_if_error": "LIFECYCLE_CACHE_STALE_IF_ERROR",
    "cache_max_entries": "LIFECYCLE_CACHE_MAX_ENTRIES",
    "job_connect_timeout": "PUB_JOB_CONNECT_TIMEOUT",
    "job_request_timeout": "PUB_JOB_REQUEST_TIMEOUT",
    "lifecycle_timeout": "PUB_LIFECYCLE_TIMEOUT",
    "max_connections_per_host": "PUB_MAX_CONNECTIONS_PER_HOST",
    "max_body_bytes": "PUB_MAX_BODY_BYTES",
    "upstream_client": "PUB_UPSTREAM_CLIENT",
    "access_log": "PUB_ACCESS_LOG",
    "git_version": "GIT_VERSION",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ENV_NAMES.values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.delenv("LIFECYCLE_CACHE_TTL_MIN", raising=False)
    monkeypatch.delenv("LIFECYCLE_CACHE_TTL_MAX", raising=False)


def test_every_setting_has_a_known_environment_name() -> None:
    assert set(PubSettings.model_fields) == set(ENV_NAMES)


def test_every_setting_is_documented_with_its_environment_name() -> None:
    docs = DOCS.read_text()
    for field, env in ENV_NAMES.items():
        row = next((line for line in docs.splitlines() if line.startswith(f"| `{field}` ")), None)
        assert row is not None, f"setting {field} is missing from docs/pub.md"
        assert f"`{env}`" in row


def test_defaults_are_short_ttls_and_fast_failure() -> None:
    settings = PubSettings()
    assert settings.cache_ttl_positive == 3
    assert settings.cache_ttl_negative == 1
    assert settings.cache_stale_if_error == 600
    assert settings.job_connect_timeout == 1
    assert settings.max_connections_per_host >= 100
    assert settings.lifecycle_url == "http://127.0.0.1:7202/lifecycle"
    assert settings.upstream_client == "native"


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUB_PORT", "7005")
    monkeypatch.setenv("AUTH_DEBUG", "true")
    monkeypatch.setenv("REQUEST_TRACING_HEADER", "traceparent")
    monkeypatch.setenv("LIFECYCLE_CACHE_TTL_NEGATIVE", "0.5")
    monkeypatch.setenv("PUB_MAX_BODY_BYTES", "1000")
    monkeypatch.setenv("PUB_UPSTREAM_CLIENT", "native")
    settings = PubSettings()
    assert settings.upstream_client == "native"
    assert settings.port == 7005
    assert settings.auth_debug is True
    assert settings.request_tracing_header == "traceparent"
    assert settings.cache_ttl_negative == 0.5
    assert settings.max_body_bytes == 1000


def test_upstream_cache_variables_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_CACHE_TTL_MIN", "2")
    monkeypatch.setenv("LIFECYCLE_CACHE_TTL_MAX", "60")
    settings = PubSettings()
    assert (settings.cache_ttl_positive, settings.cache_stale_if_error) == (2, 60)


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        PubSettings(cache_ttl=5)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "values",
    [
        {"service_name": "a/b"},
        {"service_name": "/"},
        {"forward_to_protocol": "ftp"},
        {"cache_ttl_positive": -1},
        {"job_connect_timeout": 0},
        {"max_connections_per_host": 0},
    ],
)
def test_invalid_values_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PubSettings(**values)  # type: ignore[arg-type]


def test_service_name_and_lifecycle_url_are_normalised() -> None:
    settings = PubSettings(service_name="/gateway/", lifecycle_url="http://lc:7202/lifecycle/")
    assert settings.service_name == "gateway"
    assert settings.lifecycle_url == "http://lc:7202/lifecycle"


def test_upstream_client_is_native_or_aiohttp(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PubSettings(upstream_client="aiohttp").upstream_client == "aiohttp"
    monkeypatch.setenv("PUB_UPSTREAM_CLIENT", "httpx")
    with pytest.raises(ValidationError):
        PubSettings()
