"""``/auth``: PUB's one-shot authorisation of a job call."""

from __future__ import annotations

from fastapi import APIRouter, Request

from racetrack.lifecycle.api.deps import State, request_token
from racetrack.lifecycle.schemas import CanCallJobResponse
from racetrack.lifecycle.services.maintenance import ensure_not_in_maintenance

router = APIRouter(prefix="/auth", tags=["auth"])


@router.get("/can-call-job/{name}/{version}/{endpoint:path}", response_model=CanCallJobResponse)
def can_call_job(
    name: str, version: str, endpoint: str, request: Request, state: State
) -> CanCallJobResponse:
    """May the request's token call this endpoint of this job (alias resolved), and where is it?

    401 when not allowed, 404 when the job does not exist or is not running.
    """
    with state.db.session(readonly=True) as session:
        ensure_not_in_maintenance(session)
    return state.jobs.can_call_job(request_token(request), name, version, endpoint)
