"""``/deploy``: start a deployment, follow it, list recent ones."""

from __future__ import annotations

from fastapi import APIRouter, Query

from racetrack.lifecycle.api.deps import Caller, State
from racetrack.lifecycle.schemas import DeployBody, DeploymentDto, DeployResponse

router = APIRouter(tags=["deployments"])


@router.post("/deploy", response_model=DeployResponse)
def deploy(body: DeployBody, caller: Caller, state: State) -> DeployResponse:
    """Check a deployment request and start it in the background; poll ``GET /deploy/{id}``."""
    return DeployResponse(id=state.deployments.create(caller, body))


@router.get("/deploy", response_model=list[DeploymentDto])
def list_deployments(
    caller: Caller, state: State, limit: int = Query(100, ge=1, le=1000)
) -> list[DeploymentDto]:
    """Recent deployments, newest update first."""
    return state.deployments.list(caller, limit)


@router.get("/deploy/{deployment_id}", response_model=DeploymentDto)
def get_deployment(deployment_id: str, caller: Caller, state: State) -> DeploymentDto:
    """A deployment's status, phase and error; the job once it is done."""
    return state.deployments.get(caller, deployment_id)
