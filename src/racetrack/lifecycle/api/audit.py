"""``/audit``: the activity feed (jobs deployed, redeployed, deleted; failed deployments; and,
for staff, changes to accounts, ESCs, permissions and maintenance mode)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from racetrack.lifecycle.api.deps import Caller, State
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.auth import SubjectKind
from racetrack.lifecycle.services.permissions import is_staff

router = APIRouter(prefix="/audit", tags=["activity"])


class AuditEventDto(BaseModel):
    id: str
    version: int
    timestamp: int
    event_type: str
    properties: dict[str, Any] | None = None
    username_executor: str | None = None
    username_subject: str | None = None
    job_name: str | None = None
    job_version: str | None = None
    explanation: str
    time_ago: str


class ActivityResponse(BaseModel):
    filter_job_name: str | None
    filter_job_version: str | None
    filter_related_to_me: bool
    events: list[AuditEventDto]


def _events(state: State, criteria: audit.EventFilter) -> list[AuditEventDto]:
    return [AuditEventDto(**event) for event in audit.list_events(state.db, criteria)]


@router.get("/activity", response_model=ActivityResponse)
def activity(
    caller: Caller,
    state: State,
    job_name: str | None = None,
    job_version: str | None = None,
    related_to_me: str | None = None,
) -> ActivityResponse:
    """The 100 newest events with their explanation; ``related_to_me=true|yes|1`` keeps the
    caller's own (executed by or concerning them)."""
    username = audit.username_of(caller, state.settings.auth_required)
    mine = audit.is_truthy(related_to_me)
    criteria = audit.EventFilter(job_name or None, job_version or None, username, mine, is_staff(caller))
    return ActivityResponse(
        filter_job_name=criteria.job_name,
        filter_job_version=criteria.job_version,
        filter_related_to_me=mine,
        events=_events(state, criteria),
    )


@router.get("/user_events", response_model=list[AuditEventDto])
@router.get("/user_events/job/{job_name}", response_model=list[AuditEventDto])
@router.get("/user_events/job/{job_name}/{job_version}", response_model=list[AuditEventDto])
def user_events(
    caller: Caller, state: State, job_name: str | None = None, job_version: str | None = None
) -> list[AuditEventDto]:
    """The caller's 100 newest events (executed by or concerning them), optionally of one job."""
    username = audit.username_of(caller, state.settings.auth_required)
    return _events(
        state, audit.EventFilter(job_name, job_version, username, only_related=True, staff=is_staff(caller))
    )


@router.get("/events", response_model=list[AuditEventDto])
@router.get("/events/job/{job_name}", response_model=list[AuditEventDto])
@router.get("/events/job/{job_name}/{job_version}", response_model=list[AuditEventDto])
def events(
    caller: Caller, state: State, job_name: str | None = None, job_version: str | None = None
) -> list[AuditEventDto]:
    """Everyone's 100 newest events, optionally of one job (administration events: staff only)."""
    username = caller.name if caller.kind == SubjectKind.USER else None
    return _events(state, audit.EventFilter(job_name, job_version, username, staff=is_staff(caller)))
