"""Commands on deployed jobs: list, call, logs, build-logs, delete."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from racetrack.client.errors import ClientError, ResponseError
from racetrack.client.options import RemoteOption, cli_state

if TYPE_CHECKING:
    from racetrack.client.session import Session


def complete_job_name(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of job names from ``GET /job`` of the remote; silent on any failure."""
    try:
        from racetrack.client.config import ConfigStore
        from racetrack.client.http import LifecycleClient
        from racetrack.client.remote import resolve_remote
        from racetrack.client.session import insecure_from_env

        config = ConfigStore(warn=lambda message: None).load()
        remote = resolve_remote(config, ctx.params.get("remote") or None)
        client = LifecycleClient(
            remote.url, token=config.user_auths.get(remote.url), insecure=insecure_from_env()
        )
        client.timeout = 3.0
        try:
            jobs = client.get("job")
        finally:
            client.close()
        names = {str(job["name"]) for job in jobs if isinstance(job, dict) and "name" in job}
        return sorted(name for name in names if name.startswith(incomplete))
    except Exception:  # completion must never break the user's shell
        return []


JobNameArgument = Annotated[
    str, typer.Argument(metavar="NAME", help="Name of the job.", autocompletion=complete_job_name)
]
VersionOption = Annotated[
    str,
    typer.Option(
        "--version", metavar="VERSION", help="Version of the job: exact, 'latest' or a wildcard like 1.x."
    ),
]


def job_path(name: str, version: str, *rest: str) -> str:
    return "/".join(["job", quote(name, safe=""), quote(version, safe=""), *rest])


class Column(StrEnum):
    job_type = "job_type"
    infrastructure = "infrastructure"
    deployed_by = "deployed_by"
    updated_at = "updated_at"
    last_call_at = "last_call_at"
    pub_url = "pub_url"
    all = "all"


COLUMN_TITLES = {
    Column.job_type: "JOB TYPE",
    Column.infrastructure: "INFRASTRUCTURE",
    Column.deployed_by: "DEPLOYED BY",
    Column.updated_at: "UPDATED AT",
    Column.last_call_at: "LAST CALL AT",
    Column.pub_url: "PUB URL",
}


def column_value(job: dict[str, Any], column: Column, now: float | None = None) -> str:
    from racetrack.core.humanize import time_ago

    if column is Column.job_type:
        manifest = job.get("manifest")
        jobtype = manifest.get("jobtype") if isinstance(manifest, dict) else None
        return str(job.get("job_type_version") or jobtype or "")
    if column is Column.infrastructure:
        return str(job.get("infrastructure_target") or "")
    if column is Column.deployed_by:
        return str(job.get("deployed_by") or "")
    if column is Column.updated_at:
        return time_ago(job.get("update_time"), now) if job.get("update_time") else ""
    if column is Column.last_call_at:
        return time_ago(job.get("last_call_time") or None, now)
    if column is Column.pub_url:
        return str(job.get("pub_url") or "")
    raise AssertionError(column)  # pragma: no cover


def jobs_table(jobs: list[dict[str, Any]], columns: list[Column], now: float | None = None) -> str:
    """The ``racetrack list`` table: NAME, VERSION, STATUS, then the chosen extra columns."""
    from racetrack.client.output import render_table

    chosen: list[Column] = []
    for column in columns:
        for item in list(COLUMN_TITLES) if column is Column.all else [column]:
            if item not in chosen:
                chosen.append(item)
    header = ["NAME", "VERSION", "STATUS", *(COLUMN_TITLES[c] for c in chosen)]
    rows = [
        [
            str(job.get("name", "")),
            str(job.get("version", "")),
            str(job.get("status", "")).upper(),
            *(column_value(job, c, now) for c in chosen),
        ]
        for job in jobs
    ]
    return render_table(header, rows)


def list_jobs(
    ctx: typer.Context,
    remote: RemoteOption = None,
    column: Annotated[
        list[Column] | None,
        typer.Option(
            "--column",
            "-c",
            metavar="COLUMN",
            case_sensitive=False,
            help="Extra column to show (repeatable); 'all' shows every one.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the jobs deployed at the remote."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    jobs = session.client.get("job") or []
    if not jobs:
        state.out.info(f"No jobs deployed at {session.remote.url}.")
        return
    state.out.info(f"List of all jobs ({len(jobs)}) deployed at {session.remote.url}:")
    state.out.data(jobs_table(jobs, column or []))


def parse_payload(text: str) -> dict[str, Any]:
    """A call payload given as JSON or YAML; it must be a mapping."""
    try:
        payload = json.loads(text)
    except ValueError:
        import yaml

        try:
            payload = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ClientError(f"given payload is neither JSON nor YAML: {str(e).splitlines()[0]}") from e
    if not isinstance(payload, dict):
        raise ClientError("given payload is not a key-value dictionary")
    return payload


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl_command(url: str, token: str | None, payload: dict[str, Any]) -> str:
    parts = ["curl", "-X", shell_quote("POST"), shell_quote(url)]
    if token:
        parts += ["-H", shell_quote(f"X-Racetrack-Auth: {token}")]
    parts += [
        "-H",
        shell_quote("Accept: application/json"),
        "-H",
        shell_quote("Content-Type: application/json; charset=utf-8"),
        "-d",
        shell_quote(json.dumps(payload)),
    ]
    return " ".join(parts)


def call(
    ctx: typer.Context,
    name: JobNameArgument,
    endpoint: Annotated[str, typer.Argument(metavar="ENDPOINT", help="Endpoint path, e.g. /api/v1/perform.")],
    payload: Annotated[
        str, typer.Argument(metavar="PAYLOAD", help="Request body as JSON or YAML (a mapping).")
    ],
    version: VersionOption = "latest",
    remote: RemoteOption = None,
    curl: Annotated[
        bool, typer.Option("--curl", help="Print the equivalent curl command instead of calling the job.")
    ] = False,
) -> None:
    """Call an endpoint of a job through PUB and print the JSON answer."""
    from racetrack.client.http import HttpClient
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    if curl:
        state.out.quiet()
    body = parse_payload(payload)
    session = open_session(state, remote)
    job = session.client.get(job_path(name, version))
    pub_url = str(job.get("pub_url") or "").rstrip("/")
    if not pub_url:
        raise ClientError(f"Racetrack didn't report the PUB address of job {name} v{version}")
    url = pub_url + (endpoint if endpoint.startswith("/") else f"/{endpoint}")
    if curl:
        state.out.data(curl_command(url, session.token, body))
        return
    pub = HttpClient(
        target=f"PUB at {pub_url}",
        token=session.token,
        insecure=state.insecure,
        context="Job response error",
        debug=state.out.debug,
    )
    try:
        response = pub.send("POST", url, json_body=body)
        pub.raise_for_status(response)
    finally:
        pub.close()
    state.out.info("Response:")
    try:
        result = response.json()
    except ValueError:
        state.out.data(response.text)
    else:
        state.out.data(json.dumps(result, indent=4))


def _resolve_version(session: Session, name: str, version: str) -> str:
    job = session.client.get(job_path(name, version))
    return str(job.get("version") or version) if isinstance(job, dict) else version


def logs(
    ctx: typer.Context,
    name: JobNameArgument,
    version: VersionOption = "latest",
    remote: RemoteOption = None,
    tail: Annotated[
        int, typer.Option("--tail", min=0, metavar="N", help="Number of recent lines to show.")
    ] = 20,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")
    ] = False,
) -> None:
    """Show the runtime logs of a job (all replicas combined)."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    exact = _resolve_version(session, name, version)
    if follow:
        state.out.info(f'Following logs of job "{name}" v{exact} (Ctrl-C to stop):')
        url = session.client.api_url(job_path(name, exact, "logs", "stream"))
        try:
            for line in session.client.stream_lines(url, params={"tail": tail}):
                state.out.data(line)
        except KeyboardInterrupt:
            return
        except ResponseError as e:
            if e.http_status in (404, 405):
                raise ClientError(
                    f"Racetrack at {session.remote.url} doesn't offer log streaming "
                    "(GET /api/v1/job/NAME/VERSION/logs/stream); use racetrack logs without --follow"
                ) from e
            raise
        finally:
            session.client.close()
        return
    response = session.client.get(job_path(name, exact, "logs"), params={"tail": tail})
    text = str((response or {}).get("logs") or "")
    state.out.info(f'Viewing the latest logs of job "{name}" v{exact} ({len(text.splitlines())} lines):')
    if text:
        state.out.data(text)


def build_logs(
    ctx: typer.Context,
    name: JobNameArgument,
    version: VersionOption = "latest",
    remote: RemoteOption = None,
    tail: Annotated[
        int,
        typer.Option(
            "--tail", min=0, metavar="N", help="Number of recent lines to show; 0 shows everything."
        ),
    ] = 0,
) -> None:
    """Show the build logs of a job's most recent deployment."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    response = session.client.get(job_path(name, version, "build-logs"), params={"tail": tail})
    text = str((response or {}).get("logs") or "")
    state.out.info(f'Build logs of job "{name}" v{version} ({len(text.splitlines())} lines):')
    if text:
        state.out.data(text)


def delete(
    ctx: typer.Context,
    name: JobNameArgument,
    version: Annotated[
        str, typer.Option("--version", metavar="VERSION", help="Exact version of the job to delete.")
    ],
    remote: RemoteOption = None,
) -> None:
    """Delete a job version."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    session.client.delete(job_path(name, version))
    state.out.notice(f'Job "{name}" v{version} has been deleted from {session.remote.url}')
