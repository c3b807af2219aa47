"""Remotes: which Lifecycle a command talks to.

A *remote* is a Lifecycle URL or an alias of one. ``--remote X`` overrides the current remote
(``lifecycle_url`` in the config). Resolution looks ``X`` up among the aliases, then infers
the URL: no scheme gets ``https://``, an empty path gets ``/lifecycle``, trailing slashes go.

    racetrack.example.org    ->  https://racetrack.example.org/lifecycle
    http://127.0.0.1:7000    ->  http://127.0.0.1:7000/lifecycle
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from racetrack.client.config import ClientConfig
from racetrack.client.errors import ConfigError

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class Remote:
    """A resolved remote."""

    url: str
    """The fully resolved Lifecycle URL; tokens are saved under it."""
    alias: str | None
    """The alias the URL was found under, if any."""
    explicit: bool
    """Whether it came from ``--remote`` rather than the current remote."""

    @property
    def is_local(self) -> bool:
        return urlsplit(self.url).hostname in LOCAL_HOSTS

    def describe(self) -> str:
        return f"{self.url} ({self.alias})" if self.alias else self.url


def infer_lifecycle_url(value: str) -> str:
    """Complete a user-given address into a Lifecycle URL (see the module docstring)."""
    text = value.strip()
    if not text:
        raise ConfigError("empty remote: give a Lifecycle URL or an alias")
    if "://" not in text:
        text = f"https://{text}"
    split = urlsplit(text)
    if not split.netloc:
        raise ConfigError(f"invalid remote {value!r}: expected a URL like https://racetrack.example.org")
    path = split.path.rstrip("/") or "/lifecycle"
    return urlunsplit((split.scheme, split.netloc, path, "", ""))


def resolve_remote(config: ClientConfig, remote: str | None = None) -> Remote:
    """Resolve ``--remote`` (or the current remote when ``None``) to a Lifecycle URL.

    A bare word that is not a saved alias (``prod``) is refused rather than taken for a host.
    """
    explicit = bool(remote)
    given = (remote if remote else config.lifecycle_url).strip()
    alias = given if given in config.lifecycle_url_aliases else None
    if alias is None and given and not any(c in given for c in ".:/") and given != "localhost":
        raise ConfigError(
            f'unknown remote alias "{given}": save it with racetrack set alias {given} <url>, or give a URL'
        )
    target = config.lifecycle_url_aliases[given] if alias else given
    return Remote(url=infer_lifecycle_url(target), alias=alias, explicit=explicit)
