"""``/job``: list, read, delete jobs; runtime and build logs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from racetrack.core.errors import DeploymentError
from racetrack.lifecycle.api.deps import Caller, State
from racetrack.lifecycle.api.streaming import Follower, follow_in_thread
from racetrack.lifecycle.schemas import DeploymentDto, JobDto, LogsResponse, ManifestBody, MoveBody
from racetrack.lifecycle.services.deployments import DeploymentKind, DeploymentStatus
from racetrack.lifecycle.services.jobs import strip_ansi

router = APIRouter(tags=["jobs"])


@router.get("/job", response_model=list[JobDto])
def list_jobs(caller: Caller, state: State) -> list[JobDto]:
    """Every job the caller may read, most recently updated first."""
    return state.jobs.list_jobs(caller)


@router.get("/job/{name}/{version}", response_model=JobDto)
def get_job(name: str, version: str, caller: Caller, state: State) -> JobDto:
    """One job; ``version`` may be an alias (``latest``, ``1.x``)."""
    return state.jobs.get_job(caller, name, version)


@router.delete("/job/{name}/{version}")
def delete_job(name: str, version: str, caller: Caller, state: State) -> None:
    """Delete one exact job version from its infrastructure and the registry."""
    state.jobs.delete_job(caller, name, version)


WaitQuery = Query(
    True,
    description="block until the deployment is done (upstream behaviour); false returns its id at once",
)


def _redeploy(
    state: State, caller: Caller, name: str, version: str, kind: DeploymentKind, wait: bool
) -> DeploymentDto:
    return _follow(state, caller, state.deployments.redeploy(caller, name, version, kind), kind, wait)


def _follow(
    state: State, caller: Caller, deployment_id: str, kind: DeploymentKind, wait: bool
) -> DeploymentDto:
    if not wait:
        return state.deployments.get(caller, deployment_id)
    result = state.deployments.wait(deployment_id, timeout=state.settings.redeploy_wait_timeout)
    if result.status == DeploymentStatus.FAILED:
        raise DeploymentError(f"{kind} of job {result.job_name} v{result.job_version} failed: {result.error}")
    return result


@router.post("/job/{name}/{version}/redeploy", response_model=DeploymentDto)
def redeploy(name: str, version: str, caller: Caller, state: State, wait: bool = WaitQuery) -> DeploymentDto:
    """Rebuild and provision a job from its stored manifest; the target gives back its secrets."""
    return _redeploy(state, caller, name, version, DeploymentKind.REDEPLOY, wait)


@router.post("/job/{name}/{version}/reprovision", response_model=DeploymentDto)
def reprovision(
    name: str, version: str, caller: Caller, state: State, wait: bool = WaitQuery
) -> DeploymentDto:
    """Provision the running artifact of a job again (e.g. after a replica change), no rebuild."""
    return _redeploy(state, caller, name, version, DeploymentKind.REPROVISION, wait)


@router.post("/job/{name}/{version}/move", response_model=DeploymentDto)
def move(
    name: str, version: str, body: MoveBody, caller: Caller, state: State, wait: bool = WaitQuery
) -> DeploymentDto:
    """Move a job to another infrastructure target: provisioned there, then removed from the old one."""
    deployment_id = state.deployments.move(caller, name, version, body.infrastructure_target)
    return _follow(state, caller, deployment_id, DeploymentKind.MOVE, wait)


@router.put("/job/{name}/{version}/manifest")
def update_manifest(name: str, version: str, body: ManifestBody, caller: Caller, state: State) -> None:
    """Store an edited manifest; it takes effect at the next redeploy."""
    state.jobs.update_manifest(caller, name, version, body.manifest_yaml)


@router.get("/job/{name}/{version}/logs", response_model=LogsResponse)
def runtime_logs(
    name: str, version: str, caller: Caller, state: State, tail: int = Query(20, ge=0)
) -> LogsResponse:
    """Recent output of all replicas of the job (``tail=0``: everything kept)."""
    return LogsResponse(logs=state.jobs.runtime_logs(caller, name, version, tail))


@router.get("/job/{name}/{version}/logs/plain", response_class=PlainTextResponse)
def runtime_logs_plain(
    name: str, version: str, caller: Caller, state: State, tail: int = Query(20, ge=0)
) -> PlainTextResponse:
    """Recent output as plain text, ANSI colours removed."""
    return PlainTextResponse(strip_ansi(state.jobs.runtime_logs(caller, name, version, tail)))


@router.get("/job/{name}/{version}/logs/stream", response_class=StreamingResponse)
def runtime_logs_stream(
    name: str, version: str, caller: Caller, state: State, tail: int = Query(20, ge=0)
) -> StreamingResponse:
    """The last ``tail`` lines, then new lines as they come, until the client disconnects."""
    stream = state.jobs.follow_logs(caller, name, version, tail)
    return StreamingResponse(_lines(stream), media_type="text/plain; charset=utf-8")


async def _lines(stream: Follower) -> AsyncIterator[str]:
    async for line in follow_in_thread(stream):
        yield line if line.endswith("\n") else line + "\n"


@router.get("/job/{name}/{version}/build-logs", response_model=LogsResponse)
def build_logs(
    name: str, version: str, caller: Caller, state: State, tail: int = Query(0, ge=0)
) -> LogsResponse:
    """Build output of the job's most recent deployment (``tail=0``: all lines)."""
    return LogsResponse(logs=state.jobs.build_logs(caller, name, version, tail))


@router.get("/job/{name}/{version}/build-logs/plain", response_class=PlainTextResponse)
def build_logs_plain(
    name: str, version: str, caller: Caller, state: State, tail: int = Query(0, ge=0)
) -> PlainTextResponse:
    """Build output as plain text, ANSI colours removed."""
    return PlainTextResponse(strip_ansi(state.jobs.build_logs(caller, name, version, tail)))
