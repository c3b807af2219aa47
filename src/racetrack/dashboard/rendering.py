"""Rendering pages: ``render(request, "page.html", **context)`` and toasts.

Every template gets ``user`` (the PageSession or None), ``csrf_token``, ``site_name``,
``header_colour``, ``version``, ``maintenance``, ``nav``, ``current_path`` and the pending
``toast``, besides the page's own context. Templates extend ``base.html``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from racetrack.dashboard.csrf import CSRF_FIELD, CSRF_HEADER, csrf_token, set_csrf_cookie
from racetrack.dashboard.session import BASE, PageSession
from racetrack.lifecycle.services.maintenance import MAINTENANCE_MESSAGE, is_maintenance_mode
from racetrack.lifecycle.state import LifecycleState

TOAST_COOKIE = "rt_toast"
SITE_COLOURS = {"test": "#1B5E20", "preprod": "#EE6B00", "prod": "#B71C1C"}
DEFAULT_COLOUR = "#000000"


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    staff_only: bool = False


NAV = (
    NavItem("Jobs", f"{BASE}/"),
    NavItem("Deployments", f"{BASE}/deployments"),
    NavItem("Graph", f"{BASE}/graph"),
    NavItem("Portfolio", f"{BASE}/portfolio"),
    NavItem("Activity", f"{BASE}/activity"),
    NavItem("Profile", f"{BASE}/profile"),
    NavItem("Administration", f"{BASE}/administration", staff_only=True),
    NavItem("Docs", f"{BASE}/docs/"),
)


def _time_tag(value: datetime | float | None, relative: bool = True) -> Markup:
    """``<time datetime=ISO>`` (local time and a refreshing "X ago" are filled in by dashboard.js)."""
    if value is None:
        return Markup('<span class="never">never</span>')
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value).astimezone()
    iso = moment.isoformat()
    css = "ago" if relative else "local"
    return Markup(f'<time datetime="{escape(iso)}" class="{css}">{escape(iso)}</time>')


templates = Environment(
    loader=PackageLoader("racetrack.dashboard", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["time"] = _time_tag
templates.globals.update(BASE=BASE, CSRF_FIELD=CSRF_FIELD, CSRF_HEADER=CSRF_HEADER)


def is_htmx(request: Request) -> bool:
    """Whether htmx sent this request (answer with a fragment, not a whole page)."""
    return request.headers.get("HX-Request") == "true"


def _maintenance(state: LifecycleState) -> bool:
    try:
        with state.db.session(readonly=True) as session:
            return is_maintenance_mode(session)
    except SQLAlchemyError:
        return False  # the database error is reported by the page itself


def _pop_toast(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(TOAST_COOKIE)
    if not raw:
        return None
    try:
        toast = json.loads(unquote(raw))
        return {"level": str(toast["level"]), "message": str(toast["message"])}
    except (ValueError, KeyError, TypeError):
        return None


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the layout's context plus ``context`` into an HTML response."""
    state: LifecycleState = request.app.state.lifecycle
    settings = state.settings
    user: PageSession | None = getattr(request.state, "page_user", None)
    site_name = (settings.site_name or "").strip()
    toast = _pop_toast(request)
    values: dict[str, Any] = {
        "request": request,
        "user": user,
        "csrf_token": csrf_token(request),
        "site_name": site_name,
        "header_colour": SITE_COLOURS.get(site_name.lower(), DEFAULT_COLOUR),
        "version": f"{settings.docker_tag} ({settings.git_version})",
        "lifecycle_url": settings.lifecycle_url,
        "maintenance": context.pop("maintenance", None),
        "maintenance_message": MAINTENANCE_MESSAGE,
        "nav": [item for item in NAV if not item.staff_only or (user is not None and user.is_staff)],
        "current_path": request.url.path,
        "toast": toast,
    }
    if values["maintenance"] is None:
        values["maintenance"] = _maintenance(state)
    values.update(context)
    response = HTMLResponse(templates.get_template(template).render(values), status_code=status_code)
    set_csrf_cookie(request, response)
    if toast is not None:
        response.delete_cookie(TOAST_COOKIE, path=BASE)
    return response


def toast(request: Request, response: Response, message: str, level: str = "success") -> Response:
    """Show ``message`` as a toast: on the next page (redirects) or at once (htmx responses).

    ``level`` is ``success``, ``info`` or ``error``. Returns ``response`` for chaining.
    """
    payload = {"level": level, "message": message}
    if is_htmx(request) and not isinstance(response, RedirectResponse):
        response.headers["HX-Trigger"] = json.dumps({"toast": payload})
    else:
        response.set_cookie(
            TOAST_COOKIE, quote(json.dumps(payload), safe=""), max_age=60, path=BASE, samesite="lax"
        )
    return response


def redirect(request: Request, location: str, message: str | None = None, level: str = "success") -> Response:
    """A 303 to ``location`` (``HX-Redirect`` for htmx requests), with an optional toast."""
    response: Response
    if is_htmx(request):
        response = Response(status_code=204, headers={"HX-Redirect": location})
    else:
        response = RedirectResponse(location, status_code=303)
    if message:
        response.set_cookie(
            TOAST_COOKIE,
            quote(json.dumps({"level": level, "message": message}), safe=""),
            max_age=60,
            path=BASE,
            samesite="lax",
        )
    return response
