"""Read-only overviews of a remote: ``activity``, ``deployments`` and ``info``."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from racetrack.client.options import RemoteOption, cli_state

PHASE_WIDTH = 60


class Format(StrEnum):
    table = "table"
    json = "json"


OutputOption = Annotated[
    Format,
    typer.Option(
        "--output", "-o", metavar="FORMAT", case_sensitive=False, help="Output format: table or json."
    ),
]


def _print_json(ctx: typer.Context, data: Any) -> None:
    cli_state(ctx).out.data(json.dumps(data, indent=4))


def one_line(text: str | None, width: int = PHASE_WIDTH) -> str:
    """The first line of ``text``, cut to ``width`` characters (with ``...``)."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 3].rstrip() + "..."


def human_duration(seconds: float | None) -> str:
    """``45s``, ``3m 05s``, ``1h 02m``; ``-`` when unknown (still in progress)."""
    if seconds is None:
        return "-"
    total = int(round(seconds))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m {total % 60:02d}s"
    return f"{total // 3600}h {total % 3600 // 60:02d}m"


def activity_table(events: list[dict[str, Any]], now: float | None = None) -> str:
    """The ``racetrack activity`` table: TIME, EVENT, EXPLANATION."""
    from racetrack.client.output import render_table
    from racetrack.core.humanize import time_ago

    rows = [
        [
            time_ago(event["timestamp"], now) if event.get("timestamp") else str(event.get("time_ago") or ""),
            str(event.get("event_type") or ""),
            str(event.get("explanation") or ""),
        ]
        for event in events
    ]
    return render_table(["TIME", "EVENT", "EXPLANATION"], rows)


def deployments_table(deployments: list[dict[str, Any]], now: float | None = None) -> str:
    """The ``racetrack deployments`` table, newest update first as the server answers."""
    from racetrack.client.output import render_table
    from racetrack.core.humanize import time_ago

    rows = []
    for deployment in deployments:
        status = str(deployment.get("status") or "")
        detail = deployment.get("error") if status == "failed" else deployment.get("phase")
        rows.append(
            [
                str(deployment.get("id") or "")[:8],
                str(deployment.get("job_name") or ""),
                str(deployment.get("job_version") or ""),
                status.upper(),
                one_line(detail),
                str(deployment.get("deployed_by") or ""),
                human_duration(deployment.get("duration")),
                time_ago(deployment.get("create_time"), now) if deployment.get("create_time") else "",
            ]
        )
    header = ["ID", "JOB", "VERSION", "STATUS", "PHASE / ERROR", "DEPLOYED BY", "DURATION", "AGE"]
    return render_table(header, rows)


def activity(
    ctx: typer.Context,
    job: Annotated[str | None, typer.Option("--job", metavar="NAME", help="Only events of this job.")] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", metavar="VERSION", help="Only events of this exact job version."),
    ] = None,
    mine: Annotated[
        bool, typer.Option("--mine", help="Only events you executed or that concern your jobs.")
    ] = False,
    output: OutputOption = Format.table,
    remote: RemoteOption = None,
) -> None:
    """Show recent activity: deployments, redeployments, deletions, failures (100 newest)."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    params: dict[str, str | int] = {}
    if job:
        params["job_name"] = job
    if version:
        params["job_version"] = version
    if mine:
        params["related_to_me"] = "true"
    body = session.client.get("audit/activity", params=params) or {}
    if output is Format.json:
        _print_json(ctx, body)
        return
    events = body.get("events") or []
    if not events:
        state.out.info(f"No activity at {session.remote.url}.")
        return
    state.out.info(f"Recent activity ({len(events)}) at {session.remote.url}:")
    state.out.data(activity_table(events))


def deployments(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, metavar="N", help="How many deployments to show.")
    ] = 20,
    output: OutputOption = Format.table,
    remote: RemoteOption = None,
) -> None:
    """List recent deployments with their status, phase or error and duration."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    items = session.client.get("deploy", params={"limit": limit}) or []
    if output is Format.json:
        _print_json(ctx, items)
        return
    if not items:
        state.out.info(f"No deployments at {session.remote.url}.")
        return
    state.out.info(f"Recent deployments ({len(items)}) at {session.remote.url}:")
    state.out.data(deployments_table(items))


def info(ctx: typer.Context, output: OutputOption = Format.table, remote: RemoteOption = None) -> None:
    """Show what the remote Lifecycle says about itself (version, auth, URLs)."""
    from racetrack.client.output import render_table
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote, require_auth=False)
    body = session.client.get("info", auth=False) or {}
    if output is Format.json:
        _print_json(ctx, body)
        return
    state.out.info(f"Lifecycle at {session.remote.url}:")
    if isinstance(body, dict) and body.get("maintenance_mode"):
        state.out.warning("Maintenance mode is on: deploys, deletions and other changes are refused for now")
    rows = [[str(key), _cell(value)] for key, value in body.items()] if isinstance(body, dict) else []
    state.out.data(render_table(["KEY", "VALUE"], rows))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
