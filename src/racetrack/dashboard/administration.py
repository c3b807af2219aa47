"""The Administration tab (staff only): links, versions, job types, targets, plugins, maintenance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from racetrack.dashboard.csrf import Csrf
from racetrack.dashboard.rendering import redirect, render
from racetrack.dashboard.session import BASE, StaffUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.services.admin import AdminService
from racetrack.lifecycle.services.platform import PlatformService

router = APIRouter()

ADMIN_PAGES = (
    ("Overview", f"{BASE}/administration"),
    ("Users", f"{BASE}/administration/users"),
    ("ESCs", f"{BASE}/administration/escs"),
    ("Permissions", f"{BASE}/administration/permissions"),
    ("Public endpoints", f"{BASE}/administration/public-endpoints"),
    ("Trash", f"{BASE}/administration/trash"),
)
"""The sub-navigation of the Administration tab (label, path)."""


@router.get("/administration")
def administration(request: Request, user: StaffUser, state: State) -> Response:
    """Links, versions, job type and target trees with job counts, plugins, maintenance switch."""
    overview = PlatformService(state.db, state.plugins).overview(user.subject)
    maintenance = AdminService(state.db, state.auth).maintenance_mode(user.subject)
    settings = state.settings
    return render(
        request,
        "administration.html",
        title="Administration",
        admin_pages=ADMIN_PAGES,
        overview=overview,
        maintenance=maintenance,
        grafana_url=settings.external_grafana_url,
        admin_panel_url=str(request.url.replace(path=f"{BASE}/administration/users", query="")),
        docker_tag=settings.docker_tag,
        git_version=settings.git_version,
    )


@router.post("/administration/maintenance")
def set_maintenance(
    request: Request,
    user: StaffUser,
    state: State,
    _csrf: Csrf,
    enabled: Annotated[str, Form()] = "",
) -> Response:
    """Turn maintenance mode on (``enabled=true``) or off (anything else)."""
    on = enabled.strip().lower() == "true"
    AdminService(state.db, state.auth).set_maintenance_mode(user.subject, on)
    message = "Maintenance mode is on." if on else "Maintenance mode is off."
    return redirect(request, f"{BASE}/administration", message)
