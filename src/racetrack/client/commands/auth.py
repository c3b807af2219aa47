"""``racetrack login`` and ``racetrack logout``: the token saved for a remote."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from racetrack.client.errors import AuthError, ClientError, ResponseError
from racetrack.client.options import RemoteOption, cli_state


def read_password(username: str) -> str:
    """The password: a no-echo prompt in a terminal, else one line of stdin."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Enter your password for user {username}: ")
    return sys.stdin.readline().rstrip("\r\n")


def login(
    ctx: typer.Context,
    token: Annotated[
        str | None,
        typer.Argument(
            metavar="TOKEN", help="Your auth token (see your profile in the Dashboard).", show_default=False
        ),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option(
            "--username", metavar="USERNAME", help="Log in with username and password instead of a token."
        ),
    ] = None,
    remote: RemoteOption = None,
) -> None:
    """Save your auth token for the remote, after checking it with the server."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    if bool(token) == bool(username):
        raise ClientError("Use either auth token or username")
    session = open_session(state, remote, require_auth=False)
    client = session.client
    if username:
        password = read_password(username)
        if not password:
            raise AuthError("empty password")
        try:
            answer = client.post("users/login", {"username": username, "password": password}, auth=False)
        except ResponseError as e:
            if e.http_status == 401:
                raise AuthError(e.server_message or "Incorrect username or password") from None
            raise
    else:
        client.token = token
        try:
            answer = client.get("users/validate_user_auth")
        except ResponseError as e:
            if e.http_status == 401:
                raise AuthError("Invalid Auth Token") from None
            raise
    new_token = token or (answer.get("token") if isinstance(answer, dict) else None)
    if not new_token:
        raise ClientError(f"Racetrack at {session.remote.url} returned no token")
    user = answer.get("username") if isinstance(answer, dict) else None
    store = state.store
    config = store.load()
    config.user_auths[session.remote.url] = str(new_token)
    store.save(config)
    state.out.notice(f"Logged as user {user or username} to Racetrack: {session.remote.url}")


def logout(ctx: typer.Context, remote: RemoteOption = None) -> None:
    """Forget the auth token saved for the remote."""
    from racetrack.client.remote import resolve_remote

    state = cli_state(ctx)
    store = state.store
    config = store.load()
    resolved = resolve_remote(config, remote)
    if resolved.url not in config.user_auths:
        raise ClientError(f"Missing {resolved.url} in Racetrack logged servers")
    del config.user_auths[resolved.url]
    store.save(config)
    state.out.notice(f"Logged out from Racetrack: {resolved.url}")
