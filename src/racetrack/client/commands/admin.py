"""``racetrack admin ...``: users, ESCs, permissions, public endpoints and maintenance (staff)."""

from __future__ import annotations

import sys
from typing import Annotated, Any
from urllib.parse import quote

import typer

from racetrack.client.commands.activity import Format, OutputOption, _print_json
from racetrack.client.options import RemoteOption, cli_state

admin_app = typer.Typer(
    name="admin",
    help="Administer a Racetrack (staff only): users, ESCs, permissions, public endpoints, maintenance.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
users_app = typer.Typer(
    name="users", help="List and change user accounts.", no_args_is_help=True, rich_markup_mode=None
)
escs_app = typer.Typer(
    name="escs",
    help="External service consumers: services that call jobs with their own token.",
    no_args_is_help=True,
    rich_markup_mode=None,
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
for _sub in (users_app, escs_app, permissions_app, public_app, maintenance_app):
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


# -- ESCs -----------------------------------------------------------------------------------------

EscIdArgument = Annotated[str, typer.Argument(metavar="ESC_ID", help="The ESC's id (see escs list).")]


def _expiry(value: int | None) -> str:
    if value is None:
        return "never"
    from datetime import UTC, datetime

    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@escs_app.command("list")
def list_escs(ctx: typer.Context, output: OutputOption = Format.table, remote: RemoteOption = None) -> None:
    """List ESCs with whether their access is active and when it expires."""
    _list(
        ctx,
        remote,
        "escs",
        {},
        output,
        "ESCs",
        ["ID", "NAME", "ACTIVE", "EXPIRES"],
        lambda esc: [
            str(esc["id"]),
            str(esc["name"]),
            _yes(esc.get("active", True)),
            _expiry(esc.get("expiry_time")),
        ],
    )


@escs_app.command("create")
def create_esc(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="What the consumer is, e.g. billing-service.")],
    legacy_token_stdin: Annotated[
        bool,
        typer.Option(
            "--legacy-token-stdin",
            help="Keep a pre-2.0 token read from standard input (the ESC takes its id).",
        ),
    ] = False,
    output: OutputOption = Format.table,
    remote: RemoteOption = None,
) -> None:
    """Create an ESC and print its token (give it to the service; grant it scopes next)."""
    body: dict[str, str] = {"name": name}
    if legacy_token_stdin:
        body["legacy_token"] = sys.stdin.read().strip()
    esc = _request(ctx, remote, "POST", "escs", body) or {}
    if output is Format.json:
        _print_json(ctx, esc)
        return
    out = cli_state(ctx).out
    out.notice(f'ESC "{esc.get("name")}" created with id {esc.get("id")}')
    out.data(str(esc.get("token", "")))
    out.info(f"let it call a job family with: racetrack admin escs grant {esc.get('id')} FAMILY")


@escs_app.command("token")
def esc_token(ctx: typer.Context, esc_id: EscIdArgument, remote: RemoteOption = None) -> None:
    """Print an ESC's token."""
    body = _request(ctx, remote, "GET", f"auth/token/esc/{quote(esc_id, safe='')}") or {}
    cli_state(ctx).out.data(str(body.get("token", "")))


def _update_esc(ctx: typer.Context, remote: str | None, esc_id: str, **changes: Any) -> dict[str, Any]:
    esc: dict[str, Any] = _request(ctx, remote, "PATCH", f"escs/{quote(esc_id, safe='')}", changes) or {}
    return esc


@escs_app.command("activate")
def activate_esc(ctx: typer.Context, esc_id: EscIdArgument, remote: RemoteOption = None) -> None:
    """Restore an ESC's access: its token is accepted again."""
    esc = _update_esc(ctx, remote, esc_id, active=True)
    cli_state(ctx).out.notice(f'ESC "{esc.get("name", esc_id)}" ({esc_id}) has been activated')


@escs_app.command("deactivate")
def deactivate_esc(ctx: typer.Context, esc_id: EscIdArgument, remote: RemoteOption = None) -> None:
    """Revoke an ESC's access: its token is refused (PUB within seconds)."""
    esc = _update_esc(ctx, remote, esc_id, active=False)
    cli_state(ctx).out.notice(f'ESC "{esc.get("name", esc_id)}" ({esc_id}) has been deactivated')


@escs_app.command("expire")
def expire_esc(
    ctx: typer.Context,
    esc_id: EscIdArgument,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="WHEN",
            help="ISO date or date-time (UTC unless it names a zone), e.g. 2027-01-31 or 2027-01-31T18:00.",
        ),
    ] = None,
    never: Annotated[bool, typer.Option("--never", help="Remove the expiry.")] = False,
    remote: RemoteOption = None,
) -> None:
    """Set when an ESC's access ends, or with --never remove the end."""
    from racetrack.client.errors import ClientError

    if never == (at is not None):
        raise ClientError("give either --at WHEN or --never")
    expiry_time = None if never else _parse_moment(str(at))
    esc = _update_esc(ctx, remote, esc_id, expiry_time=expiry_time)
    cli_state(ctx).out.notice(
        f'ESC "{esc.get("name", esc_id)}" ({esc_id}) expires: {_expiry(esc.get("expiry_time"))}'
    )


def _parse_moment(text: str) -> int:
    from datetime import UTC, datetime

    from racetrack.client.errors import ClientError

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ClientError(
            f"--at {text!r} is not an ISO date or date-time; expected e.g. 2027-01-31 or 2027-01-31T18:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@escs_app.command("grant")
def grant_esc(
    ctx: typer.Context,
    esc_id: EscIdArgument,
    family: Annotated[str, typer.Argument(metavar="FAMILY", help="The job family (job name) it may use.")],
    scope: Annotated[str, typer.Option("--scope", metavar="SCOPE", help="The scope to grant.")] = "call_job",
    remote: RemoteOption = None,
) -> None:
    """Let an ESC use every version of a job family (call_job unless --scope says otherwise)."""
    path = (
        f"auth/allow/esc/{quote(esc_id, safe='')}/job/{quote(family, safe='')}/scope/{quote(scope, safe='')}"
    )
    _request(ctx, remote, "POST", path)
    cli_state(ctx).out.notice(f'ESC {esc_id} may now {scope} on job family "{family}"')


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


# -- trash ----------------------------------------------------------------------------------------


@admin_app.command("trash")
def list_trash(
    ctx: typer.Context,
    job: Annotated[
        str | None, typer.Option("--job", metavar="NAME", help="Only versions of this job.")
    ] = None,
    output: OutputOption = Format.table,
    remote: RemoteOption = None,
) -> None:
    """List deleted job versions; their names and versions stay claimed (deploy --force reuses one)."""
    from datetime import UTC, datetime

    _list(
        ctx,
        remote,
        "trash",
        {"job_name": job} if job else {},
        output,
        "deleted jobs",
        ["JOB", "VERSION", "DEPLOYED BY", "STATUS", "DELETED"],
        lambda row: [
            str(row["name"]),
            str(row["version"]),
            _cell(row.get("deployed_by")),
            str(row["status"]),
            datetime.fromtimestamp(row["delete_time"], UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        ],
    )


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
