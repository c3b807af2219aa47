"""What a command needs to talk to Lifecycle: global options, config, remote, token, client."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from racetrack.client.config import ClientConfig, ConfigStore
from racetrack.client.errors import AuthError
from racetrack.client.output import Output
from racetrack.client.remote import Remote, resolve_remote

if TYPE_CHECKING:
    from racetrack.client.http import LifecycleClient

INSECURE_ENV = "RACETRACK_INSECURE"
_TRUTHY = {"1", "true", "yes", "y", "on"}


def insecure_from_env() -> bool:
    return os.environ.get(INSECURE_ENV, "").strip().lower() in _TRUTHY


@dataclass
class CliState:
    """Global options, set once by the top-level callback and shared by every command."""

    out: Output = field(default_factory=Output)
    insecure: bool = False
    _store: ConfigStore | None = None
    _clients: list[LifecycleClient] = field(default_factory=list)

    @property
    def store(self) -> ConfigStore:
        if self._store is None:
            self._store = ConfigStore(warn=self.out.warning)
        return self._store

    def load_config(self) -> ClientConfig:
        return self.store.load()

    def close(self) -> None:
        """Close the HTTP connections opened by the command."""
        while self._clients:
            self._clients.pop().close()


@dataclass
class Session:
    """A resolved remote with its token and a Lifecycle client."""

    remote: Remote
    token: str | None
    client: LifecycleClient
    config: ClientConfig


def open_session(
    state: CliState,
    remote: str | None = None,
    *,
    require_auth: bool = True,
    announce: bool = True,
) -> Session:
    """Resolve the remote and its token and create the client.

    Args:
        remote: ``--remote`` value; ``None`` uses the current remote (and logs which one).
        require_auth: when no token is saved, ask ``GET /api/v1/info`` and fail if the
            server requires authentication.
        announce: log ``Using current remote: ...`` when the current remote is used.
    """
    from racetrack.client.http import LifecycleClient

    config = state.load_config()
    resolved = resolve_remote(config, remote)
    if announce and not resolved.explicit:
        state.out.info(f"Using current remote: {resolved.describe()}")
    token = config.user_auths.get(resolved.url) or None
    client = LifecycleClient(resolved.url, token=token, insecure=state.insecure, debug=state.out.debug)
    state._clients.append(client)
    if token is None and require_auth and auth_required(client):
        raise AuthError(
            f"missing auth token for {resolved.url}. "
            f"You need to do: racetrack login <token> --remote {resolved.url}"
        )
    state.out.debug(f"Lifecycle URL: {resolved.url}, token: {'saved' if token else 'none'}")
    return Session(remote=resolved, token=token, client=client, config=config)


def auth_required(client: LifecycleClient) -> bool:
    """Whether the server says it requires authentication (``GET /api/v1/info``)."""
    info = client.get("info", auth=False)
    return bool(info.get("auth_required", True)) if isinstance(info, dict) else True
