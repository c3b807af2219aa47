"""``racetrack admin ...``: users, permissions, public endpoints and maintenance mode (staff)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from racetrack.client.commands.activity import Format, OutputOption, _print_json
from racetrack.client.options import RemoteOption, cli_state

admin_app = typer.Typer(
    name="admin",
    help="Administer a Racetrack (staff only): users, permissions, public endpoints, maintenance.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
users_app = typer.Typer(
    name="users", help="List and change user accounts.", no_args_is_help=True, rich_markup_mode=None
)
permissions_app = typer.Typer(
    name="permissions",
    help="List, grant and revoke permissions.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
public_app = typer.Typer(
    name="public-endpoints",
    help="Approve endpoints jobs ask to make public.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
maintenance_app = typer.Typer(
    name="maintenance",
    help="Maintenance mode: no deploys or deletions.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
for _sub in (users_app, permissions_app, public_app, maintenance_app):
    admin_app.add_typer(_sub)

UsernameArgument = Annotated[str, typer.Argument(metavar="USERNAME", help="The user's name.")]


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _request(ctx: typer.Context, remote: str | None, method: str, path: str, body: Any = None) -> Any:
    from racetrack.client.session import open_session

    session = open_session(cli_state(ctx), remote)
    client = session.client
    return client.request_json(method, client.api_url(path), json_body=body)


def _list(
    ctx: typer.Context,
    remote: str | None,
    path: str,
    params: dict[str, str | int],
    output: Format,
    what: str,
    header: list[str],
    row: Any,
) -> None:
    from racetrack.client.output import render_table
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    items = session.client.get(path, params=params) or []
    if output is Format.json:
        _print_json(ctx, items)
        return
    if not items:
        state.out.info(f"No {what} at {session.remote.url}.")
        return
    state.out.info(f"{what.capitalize()} ({len(items)}) at {session.remote.url}:")
    state.out.data(render_table(header, [row(item) for item in items]))


# -- users --------------------------------------------------------------------------------------


@users_app.command("list")
def list_users(ctx: typer.Context, output: OutputOption = Format.table, remote: RemoteOption = None) -> None:
    """List user accounts with their active and staff flags."""
    _list(
        ctx,
        remote,
        "users",
        {},
        output,
        "users",
        ["USERNAME", "ACTIVE", "STAFF"],
        lambda user: [str(user["username"]), _yes(user["is_active"]), _yes(user["is_staff"])],
    )


def _update_user(ctx: typer.Context, remote: str | None, username: str, **changes: Any) -> dict[str, Any]:
    user: dict[str, Any] = _request(ctx, remote, "PATCH", f"users/{quote(username, safe='@')}", changes)
    return user


@users_app.command("activate")
def activate_user(ctx: typer.Context, username: UsernameArgument, remote: RemoteOption = None) -> None:
    """Enable a user account (the user may log in and use tokens again)."""
    _update_user(ctx, remote, username, is_active=True)
    cli_state(ctx).out.notice(f'User "{username}" has been activated')


@users_app.command("deactivate")
def deactivate_user(ctx: typer.Context, username: UsernameArgument, remote: RemoteOption = None) -> None:
    """Disable a user account (logging in and the user's tokens are refused)."""
    _update_user(ctx, remote, username, is_active=False)
    cli_state(ctx).out.notice(f'User "{username}" has been deactivated')


@users_app.command("set-staff")
def set_staff(
    ctx: typer.Context,
    username: UsernameArgument,
    no: Annotated[bool, typer.Option("--no", help="Remove the staff status instead.")] = False,
    remote: RemoteOption = None,
) -> None:
    """Make a user staff (administrator), or with --no an ordinary user."""
    _update_user(ctx, remote, username, is_staff=not no)
    state = "no longer" if no else "now"
    cli_state(ctx).out.notice(f'User "{username}" is {state} a staff member')


# -- permissions --------------------------------------------------------------------------------


@permissions_app.command("list")
def list_permissions(
    ctx: typer.Context,
    subject_type: Annotated[
        str | None,
        typer.Option("--subject-type", metavar="TYPE", help="Only grants to: user, esc or job_family."),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option("--subject", metavar="SUBJECT", help="Only grants to this username, ESC id or family."),
    ] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", metavar="SCOPE", help="Only grants of this scope.")
    ] = None,
    output: OutputOption = Format.table,
    remote: RemoteOption = None,
) -> None:
    """List permission grants (who may do what on which jobs)."""
    params: dict[str, str | int] = {}
    for key, value in (("subject_type", subject_type), ("subject", subject), ("scope", scope)):
        if value:
            params[key] = value
    _list(
        ctx,
        remote,
        "permissions",
        params,
        output,
        "permissions",
        ["ID", "SUBJECT TYPE", "SUBJECT", "SCOPE", "FAMILY", "VERSION", "ENDPOINT"],
        lambda grant: [
            str(grant["id"]),
            str(grant["subject_type"]),
            str(grant["subject"]),
            str(grant["scope"]),
            _cell(grant.get("job_family")) or "*",
            _cell(grant.get("job_version")) or "*",
            _cell(grant.get("endpoint")) or "*",
        ],
    )


@permissions_app.command("grant")
def grant(
    ctx: typer.Context,
    subject_type: Annotated[str, typer.Argument(metavar="SUBJECT_TYPE", help="user, esc or job_family.")],
    subject: Annotated[str, typer.Argument(metavar="SUBJECT", help="Username, ESC id or job family name.")],
    scope: Annotated[
        str,
        typer.Argument(
            metavar="SCOPE",
            help=(
                "read_job, deploy_job, deploy_new_family, delete_job, call_job, call_admin_api"
                " or full_access."
            ),
        ),
    ],
    family: Annotated[
        str | None,
        typer.Option("--family", metavar="NAME", help="Only on this job family (all jobs if omitted)."),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", metavar="VERSION", help="Only on this version (needs --family)."),
    ] = None,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", metavar="PATH", help="Only this endpoint (needs --family).")
    ] = None,
    output: OutputOption = Format.table,
    remote: RemoteOption = None,
) -> None:
    """Grant a scope to a user, ESC or job family (granting an existing grant changes nothing)."""
    body = {
        "subject_type": subject_type,
        "subject": subject,
        "scope": scope,
        "job_family": family,
        "job_version": version,
        "endpoint": endpoint,
    }
    created = _request(ctx, remote, "POST", "permissions", body) or {}
    if output is Format.json:
        _print_json(ctx, created)
        return
    cli_state(ctx).out.notice(
        f'Permission {created.get("id")} granted: {subject_type} "{subject}" may {scope}'
    )


@permissions_app.command("revoke")
def revoke(
    ctx: typer.Context,
    permission_id: Annotated[
        int, typer.Argument(metavar="ID", help="The grant's id (see permissions list).")
    ],
    remote: RemoteOption = None,
) -> None:
    """Revoke a permission grant."""
    _request(ctx, remote, "DELETE", f"permissions/{permission_id}")
    cli_state(ctx).out.notice(f"Permission {permission_id} has been revoked")


# -- public endpoints -----------------------------------------------------------------------------


@public_app.command("list")
def list_public_endpoints(
    ctx: typer.Context,
    job: Annotated[
        str | None, typer.Option("--job", metavar="NAME", help="Only requests of this job.")
    ] = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive", help="Only approved (or only not approved) requests.", show_default=False
        ),
    ] = None,
    output: OutputOption = Format.table,
    remote: RemoteOption = None,
) -> None:
    """List the endpoints jobs ask to make public, and whether they are approved."""
    params: dict[str, str | int] = {}
    if job:
        params["job_name"] = job
    if active is not None:
        params["active"] = "true" if active else "false"
    _list(
        ctx,
        remote,
        "public-endpoints",
        params,
        output,
        "public endpoint requests",
        ["ID", "JOB", "VERSION", "ENDPOINT", "ACTIVE"],
        lambda request: [
            str(request["id"]),
            str(request["job_name"]),
            str(request["job_version"]),
            str(request["endpoint"]),
            _yes(request["active"]),
        ],
    )


IdArgument = Annotated[
    str, typer.Argument(metavar="ID", help="The request's id (see public-endpoints list).")
]


@public_app.command("activate")
def activate_public_endpoint(ctx: typer.Context, request_id: IdArgument, remote: RemoteOption = None) -> None:
    """Approve a public endpoint: it can then be called without a token."""
    answer = _request(ctx, remote, "POST", f"public-endpoints/{quote(request_id, safe='')}/activate") or {}
    cli_state(ctx).out.notice(f"Public endpoint {_describe(answer, request_id)} has been activated")


@public_app.command("deactivate")
def deactivate_public_endpoint(
    ctx: typer.Context, request_id: IdArgument, remote: RemoteOption = None
) -> None:
    """Withdraw the approval of a public endpoint: calls need a token again."""
    answer = _request(ctx, remote, "POST", f"public-endpoints/{quote(request_id, safe='')}/deactivate") or {}
    cli_state(ctx).out.notice(f"Public endpoint {_describe(answer, request_id)} has been deactivated")


def _describe(request: dict[str, Any], request_id: str) -> str:
    if request.get("endpoint") and request.get("job_name"):
        return f'{request["endpoint"]} of job "{request["job_name"]}" v{request.get("job_version")}'
    return request_id


# -- maintenance ----------------------------------------------------------------------------------


def _set_maintenance(ctx: typer.Context, remote: str | None, enabled: bool) -> None:
    _request(ctx, remote, "PUT", "settings/maintenance", {"enabled": enabled})
    word = "on: deploying and deleting jobs is refused" if enabled else "off"
    cli_state(ctx).out.notice(f"Maintenance mode is {word}")


@maintenance_app.command("on")
def maintenance_on(ctx: typer.Context, remote: RemoteOption = None) -> None:
    """Turn maintenance mode on: deploys, deletions and other changes to jobs are refused."""
    _set_maintenance(ctx, remote, True)


@maintenance_app.command("off")
def maintenance_off(ctx: typer.Context, remote: RemoteOption = None) -> None:
    """Turn maintenance mode off."""
    _set_maintenance(ctx, remote, False)


@maintenance_app.command("status")
def maintenance_status(
    ctx: typer.Context, output: OutputOption = Format.table, remote: RemoteOption = None
) -> None:
    """Show whether maintenance mode is on."""
    body = _request(ctx, remote, "GET", "settings/maintenance") or {}
    if output is Format.json:
        _print_json(ctx, body)
        return
    cli_state(ctx).out.data(f"Maintenance mode is {'on' if body.get('enabled') else 'off'}")
