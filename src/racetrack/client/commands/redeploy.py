"""``racetrack redeploy|reprovision|move``: run a deployed job again, or elsewhere; no files needed."""

from __future__ import annotations

from typing import Annotated

import typer

from racetrack.client.commands.jobs import JobNameArgument, job_path
from racetrack.client.options import RemoteOption, cli_state

ExactVersionOption = Annotated[
    str,
    typer.Option("--version", metavar="VERSION", help="Version of the job: exact, 'latest' or a wildcard."),
]


def redeploy(
    ctx: typer.Context, name: JobNameArgument, version: ExactVersionOption, remote: RemoteOption = None
) -> None:
    """Rebuild a job from its stored manifest and provision it again.

    The job's secrets come back from its infrastructure target, so anyone allowed to deploy
    the job can rebuild it without the secret files. The running version keeps serving until
    the new one passes its health checks.
    """
    _run(ctx, name, version, remote, "redeploy")


def reprovision(
    ctx: typer.Context, name: JobNameArgument, version: ExactVersionOption, remote: RemoteOption = None
) -> None:
    """Provision a job again from the artifact it runs, without rebuilding it."""
    _run(ctx, name, version, remote, "reprovision")


def move(
    ctx: typer.Context,
    name: JobNameArgument,
    version: ExactVersionOption,
    infrastructure_target: Annotated[
        str,
        typer.Option(
            "--infrastructure-target", "-t", metavar="TARGET", help="The infrastructure target to move it to."
        ),
    ],
    remote: RemoteOption = None,
) -> None:
    """Move a job to another infrastructure target.

    The job keeps serving where it is until it runs on the new target; then it is removed from
    the old one. Its secrets move with it.
    """
    _run(ctx, name, version, remote, "move", {"infrastructure_target": infrastructure_target})


def _run(
    ctx: typer.Context,
    name: str,
    version: str,
    remote: str | None,
    operation: str,
    body: dict[str, str] | None = None,
) -> None:
    from racetrack.client.progress import follow_deployment
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    out = state.out
    session = open_session(state, remote)
    response = session.client.post(job_path(name, version, operation) + "?wait=false", body)
    deployment_id = str(response["id"])
    exact = str(response.get("job_version") or version)
    out.info(f"{operation} of job {name} v{exact} requested: {deployment_id}")
    deployment = follow_deployment(session.client, deployment_id, out)
    pub_url = (deployment.get("job") or {}).get("pub_url")
    done = {"redeploy": "redeployed", "reprovision": "reprovisioned"}.get(operation, "moved")
    out.notice(f'Job "{name}" v{exact} has been {done}.' + (f" Check out {pub_url}" if pub_url else ""))
