"""The Administration tab (staff only): links, versions, job types, targets, plugins, maintenance.

The plugin actions (upload, delete, download, config editor) are in ``admin_plugins.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from racetrack.dashboard.csrf import Csrf
from racetrack.dashboard.rendering import redirect, render
from racetrack.dashboard.session import BASE, PageSession, StaffUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.services.admin import AdminService
from racetrack.lifecycle.services.platform import PlatformService
from racetrack.lifecycle.services.plugins import PluginService
from racetrack.lifecycle.state import LifecycleState

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


def administration_page(
    request: Request, user: PageSession, state: LifecycleState, status_code: int = 200, **context: Any
) -> Response:
    """The Administration overview, with ``context`` (e.g. ``upload_error``) for its forms."""
    overview = PlatformService(state.db, state.plugins).overview(user.subject)
    maintenance = AdminService(state.db, state.auth).maintenance_mode(user.subject)
    plugins = PluginService(state.db, state.plugins, state.settings.auth_required).list_plugins()
    settings = state.settings
    values: dict[str, Any] = {"upload_error": None}
    values.update(context)
    return render(
        request,
        "administration.html",
        status_code=status_code,
        title="Administration",
        admin_pages=ADMIN_PAGES,
        overview=overview,
        plugins=plugins,
        maintenance=maintenance,
        grafana_url=settings.external_grafana_url,
        admin_panel_url=str(request.url.replace(path=f"{BASE}/administration/users", query="")),
        docker_tag=settings.docker_tag,
        git_version=settings.git_version,
        **values,
    )


@router.get("/administration")
def administration(request: Request, user: StaffUser, state: State) -> Response:
    """Links, versions, job type and target trees with job counts, plugins, maintenance switch."""
    return administration_page(request, user, state)


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
