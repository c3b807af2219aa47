from __future__ import annotations

import pytest

from racetrack.client.config import ClientConfig
from racetrack.client.errors import ConfigError
from racetrack.client.remote import infer_lifecycle_url, resolve_remote


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("racetrack.example.org", "https://racetrack.example.org/lifecycle"),
        ("http://127.0.0.1:7102", "http://127.0.0.1:7102/lifecycle"),
        ("http://127.0.0.1:7102/", "http://127.0.0.1:7102/lifecycle"),
        ("https://rt.example.org/lifecycle/", "https://rt.example.org/lifecycle"),
        ("https://rt.example.org/custom/prefix", "https://rt.example.org/custom/prefix"),
        ("localhost:7000", "https://localhost:7000/lifecycle"),
        ("  http://[::1]:7000  ", "http://[::1]:7000/lifecycle"),
    ],
)
def test_infer_lifecycle_url_adds_scheme_and_lifecycle_path(given: str, expected: str) -> None:
    assert infer_lifecycle_url(given) == expected


@pytest.mark.parametrize("given", ["", "   ", "http://"])
def test_infer_lifecycle_url_rejects_empty_addresses(given: str) -> None:
    with pytest.raises(ConfigError):
        infer_lifecycle_url(given)


def test_resolve_remote_uses_current_remote_when_none_given() -> None:
    remote = resolve_remote(ClientConfig(lifecycle_url="http://127.0.0.1:7000"))
    assert remote.url == "http://127.0.0.1:7000/lifecycle"
    assert remote.alias is None
    assert not remote.explicit
    assert remote.is_local


def test_resolve_remote_looks_up_aliases_then_infers() -> None:
    config = ClientConfig(lifecycle_url="prod", lifecycle_url_aliases={"prod": "racetrack.example.org"})
    remote = resolve_remote(config)
    assert remote.url == "https://racetrack.example.org/lifecycle"
    assert remote.alias == "prod"
    assert remote.describe() == "https://racetrack.example.org/lifecycle (prod)"
    assert not remote.is_local


def test_explicit_remote_overrides_current_remote() -> None:
    config = ClientConfig(lifecycle_url="prod", lifecycle_url_aliases={"prod": "https://prod.example.org"})
    remote = resolve_remote(config, "http://localhost:7000")
    assert remote.url == "http://localhost:7000/lifecycle"
    assert remote.explicit
    assert remote.is_local


def test_ipv6_loopback_counts_as_local() -> None:
    assert resolve_remote(ClientConfig(), "http://[::1]:7000").is_local


def test_bare_word_that_is_no_alias_is_refused() -> None:
    with pytest.raises(
        ConfigError, match='unknown remote alias "prod": save it with racetrack set alias prod'
    ):
        resolve_remote(ClientConfig(), "prod")


def test_localhost_is_a_host_not_an_alias() -> None:
    assert resolve_remote(ClientConfig(), "localhost").url == "https://localhost/lifecycle"
