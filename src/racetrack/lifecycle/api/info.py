"""``/info``: what this Lifecycle is and where PUB is (public)."""

from __future__ import annotations

from fastapi import APIRouter

from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.schemas import InfoResponse

router = APIRouter(tags=["info"])


@router.get("/info", response_model=InfoResponse)
def info(state: State) -> InfoResponse:
    """Versions, whether auth is required, external URLs. No token needed."""
    s = state.settings
    return InfoResponse(
        service="lifecycle",
        git_version=s.git_version,
        docker_tag=s.docker_tag,
        auth_required=s.auth_required,
        external_pub_url=s.external_pub_url,
        lifecycle_url=s.lifecycle_url,
        grafana_url=s.external_grafana_url,
    )
