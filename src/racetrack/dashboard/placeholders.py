"""Pages other modules will replace: the jobs home and the administration tab (staff only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from racetrack.dashboard.rendering import render
from racetrack.dashboard.session import PageUser, StaffUser

router = APIRouter()


@router.get("/")
def home(request: Request, user: PageUser) -> Response:
    return render(
        request, "placeholder.html", title="Jobs", heading="Jobs", text="The jobs tree will be shown here."
    )


@router.get("/administration")
def administration(request: Request, user: StaffUser) -> Response:
    return render(
        request,
        "placeholder.html",
        title="Administration",
        heading="Administration",
        text="Administration tools will be shown here.",
    )
