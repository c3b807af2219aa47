"""``racetrack set ...``, ``racetrack get ...`` and ``racetrack version``: the local config."""

from __future__ import annotations

from typing import Annotated

import typer

from racetrack.client.errors import AuthError, ClientError
from racetrack.client.options import RemoteOption, cli_state

set_app = typer.Typer(
    name="set",
    help="Set the current remote, an alias or git credentials.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
get_app = typer.Typer(
    name="get",
    help="Show the current remote, the PUB address, the config or the auth token.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the URL (implied when stdout is not a terminal).")
]


@set_app.command("remote")
def set_remote(
    ctx: typer.Context,
    remote: Annotated[str, typer.Argument(metavar="ALIAS_OR_URL", help="Lifecycle URL or alias.")],
) -> None:
    """Set the current remote: the Racetrack used when --remote is not given."""
    state = cli_state(ctx)
    config = state.store.load()
    config.lifecycle_url = remote.strip()
    state.store.save(config)
    state.out.notice(f'Current remote set to "{config.lifecycle_url}"')


@set_app.command("alias")
def set_alias(
    ctx: typer.Context,
    alias: Annotated[str, typer.Argument(metavar="ALIAS", help="Short name, e.g. prod.")],
    url: Annotated[
        str,
        typer.Argument(metavar="URL", help="Lifecycle URL, e.g. https://racetrack.example.org/lifecycle."),
    ],
) -> None:
    """Save an alias for a Lifecycle URL."""
    state = cli_state(ctx)
    alias = alias.strip()
    if not alias:
        raise ClientError("alias name must not be empty")
    config = state.store.load()
    config.lifecycle_url_aliases[alias] = url.strip().rstrip("/")
    state.store.save(config)
    state.out.notice(f'Alias "{alias}" set to {config.lifecycle_url_aliases[alias]}')


@set_app.command("credentials")
def set_credentials(
    ctx: typer.Context,
    repo_url: Annotated[
        str, typer.Argument(metavar="REPO_URL", help="Git repository URL or prefix, e.g. https://github.com.")
    ],
    username: Annotated[str, typer.Argument(metavar="USERNAME", help="Git username.")],
    token: Annotated[
        str | None,
        typer.Argument(
            metavar="TOKEN",
            help="Read-only token or password; prompted for (no echo) when omitted.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Save read-only git credentials for a repository (or every repository under a prefix)."""
    from racetrack.client.commands.auth import read_password
    from racetrack.client.config import GitCredentials

    state = cli_state(ctx)
    password = token if token is not None else read_password(username)
    if not password:
        raise ClientError("empty token or password")
    config = state.store.load()
    config.git_credentials[repo_url.strip()] = GitCredentials(username=username, password=password)
    state.store.save(config)
    state.out.notice(f"Git credentials for {repo_url.strip()} saved (user {username})")


@get_app.command("remote")
def get_remote(ctx: typer.Context, quiet: QuietOption = False) -> None:
    """Show the current remote and the Lifecycle URL it resolves to."""
    from racetrack.client.remote import resolve_remote

    state = cli_state(ctx)
    config = state.store.load()
    remote = resolve_remote(config)
    if quiet or not state.out.tty:
        state.out.data(remote.url)
    elif remote.alias:
        state.out.info(f'Current remote is "{remote.alias}", resolving to {remote.url}')
    else:
        state.out.info(f'Current remote is "{remote.url}"')


@get_app.command("pub")
def get_pub(ctx: typer.Context, remote: RemoteOption = None, quiet: QuietOption = False) -> None:
    """Show the PUB (gateway) address of the remote, as the server reports it."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    quiet = quiet or not state.out.tty
    if quiet:
        state.out.quiet()
    session = open_session(state, remote, require_auth=False)
    info = session.client.get("info", auth=False)
    pub_url = info.get("external_pub_url") if isinstance(info, dict) else None
    if not pub_url:
        raise ClientError(f"Racetrack at {session.remote.url} doesn't report its PUB address")
    if quiet:
        state.out.data(str(pub_url))
    else:
        state.out.info(f"Current PUB address is {pub_url}")


@get_app.command("config")
def get_config(ctx: typer.Context) -> None:
    """Print the whole config file as YAML (tokens and git passwords included)."""
    import yaml

    state = cli_state(ctx)
    config = state.store.load()
    state.out.data(yaml.safe_dump(config.to_dict(), sort_keys=False, default_flow_style=False).rstrip("\n"))


@get_app.command("auth-token")
def get_auth_token(ctx: typer.Context, remote: RemoteOption = None) -> None:
    """Print the auth token saved for the remote.

    For scripts: curl -H "X-Racetrack-Auth: $(racetrack get auth-token)" ...
    """
    from racetrack.client.remote import resolve_remote

    state = cli_state(ctx)
    config = state.store.load()
    resolved = resolve_remote(config, remote)
    token = config.user_auths.get(resolved.url)
    if not token:
        raise AuthError(
            f"missing auth token for {resolved.url}. "
            f"You need to do: racetrack login <token> --remote {resolved.url}"
        )
    state.out.data(token)


def version() -> None:
    """Show the version of the client."""
    from racetrack import __version__

    print(f"racetrack-client version {__version__}")
