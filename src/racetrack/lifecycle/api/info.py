"""``/info``: what this Lifecycle is and where PUB is (public)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.schemas import InfoResponse
from racetrack.lifecycle.services.maintenance import is_maintenance_mode

router = APIRouter(tags=["info"])


@router.get("/info", response_model=InfoResponse)
def info(state: State) -> InfoResponse:
    """Versions, whether auth is required, external URLs, maintenance mode. No token needed."""
    s = state.settings
    try:
        with state.db.session(readonly=True) as session:
            maintenance: bool | None = is_maintenance_mode(session)
    except SQLAlchemyError:  # /info stays up while the database is down
        maintenance = None
    return InfoResponse(
        service="lifecycle",
        git_version=s.git_version,
        docker_tag=s.docker_tag,
        auth_required=s.auth_required,
        external_pub_url=s.external_pub_url,
        lifecycle_url=s.lifecycle_url,
        grafana_url=s.external_grafana_url,
        maintenance_mode=maintenance,
    )
