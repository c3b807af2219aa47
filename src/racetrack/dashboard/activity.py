"""The Activity tab: the newest events (deployments, deletions, grants...), filterable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from racetrack.dashboard.rendering import render
from racetrack.dashboard.session import PageUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.permissions import is_staff

router = APIRouter()


def event_title(event_type: str) -> str:
    """``job_deployed`` → ``Job Deployed``."""
    return " ".join(word.capitalize() for word in event_type.split("_"))


@router.get("/activity")
def activity(
    request: Request,
    user: PageUser,
    state: State,
    job_name: Annotated[str, Query()] = "",
    job_version: Annotated[str, Query()] = "",
    related: Annotated[str, Query()] = "",
) -> Response:
    """At most 100 events, newest first; a GET form so filtered views can be bookmarked."""
    only_related = audit.is_truthy(related) or related == "on"
    criteria = audit.EventFilter(
        job_name=job_name.strip() or None,
        job_version=job_version.strip() or None,
        related_to=user.username,
        only_related=only_related,
        staff=is_staff(user.subject),
    )
    events = audit.list_events(state.db, criteria)
    for event in events:
        event["title"] = event_title(str(event["event_type"]))
    return render(
        request,
        "activity.html",
        title="Activity",
        events=events,
        job_name=job_name,
        job_version=job_version,
        only_related=only_related,
        limit=audit.EVENTS_LIMIT,
    )
