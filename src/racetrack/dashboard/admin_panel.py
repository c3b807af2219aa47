"""The admin panel under Administration (staff only): users, ESCs, permissions, public
endpoints and the trash, on the same services as the administration API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from racetrack.core.errors import InvalidInputError, RacetrackError
from racetrack.dashboard.administration import ADMIN_PAGES
from racetrack.dashboard.csrf import Csrf
from racetrack.dashboard.rendering import redirect, render
from racetrack.dashboard.session import BASE, PageSession, StaffUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.services.admin import AdminService, SubjectType
from racetrack.lifecycle.services.escs import EscInfo, EscService
from racetrack.lifecycle.services.permissions import Scope
from racetrack.lifecycle.state import LifecycleState

router = APIRouter()

USERS = f"{BASE}/administration/users"
ESCS = f"{BASE}/administration/escs"
PERMISSIONS = f"{BASE}/administration/permissions"
PUBLIC_ENDPOINTS = f"{BASE}/administration/public-endpoints"
TRASH = f"{BASE}/administration/trash"

USER_ACTIONS: dict[str, tuple[str, bool, str]] = {  # action: (flag, value, past tense)
    "activate": ("is_active", True, "activated"),
    "deactivate": ("is_active", False, "deactivated"),
    "make_staff": ("is_staff", True, "made staff"),
    "remove_staff": ("is_staff", False, "removed from staff"),
}

Text = Annotated[str, Form()]


def _admin(state: LifecycleState) -> AdminService:
    return AdminService(state.db, state.auth)


def _page(request: Request, template: str, title: str, status_code: int = 200, **context: Any) -> Response:
    return render(request, template, status_code=status_code, title=title, admin_pages=ADMIN_PAGES, **context)


# -- users ---------------------------------------------------------------------------------------


@router.get("/administration/users")
def users(request: Request, user: StaffUser, state: State) -> Response:
    """Every account with its active and staff flags, and the actions on them."""
    return _page(request, "admin_users.html", "Users", users=_admin(state).list_users(user.subject))


@router.post("/administration/users/update")
def update_user(
    request: Request, user: StaffUser, state: State, _csrf: Csrf, username: Text = "", action: Text = ""
) -> Response:
    """Activate/deactivate a user or change its staff flag; errors (lock-out guard) as a toast."""
    if action not in USER_ACTIONS:
        return redirect(request, USERS, f"Unknown action: {action!r}.", "error")
    flag, value, done = USER_ACTIONS[action]
    try:
        if flag == "is_active":
            _admin(state).update_user(user.subject, username, is_active=value)
        else:
            _admin(state).update_user(user.subject, username, is_staff=value)
    except RacetrackError as e:
        return redirect(request, USERS, f"User {username} not changed: {e.message}", "error")
    return redirect(request, USERS, f"User {username} {done}.")


@router.post("/administration/users/password")
def reset_password(
    request: Request, user: StaffUser, state: State, _csrf: Csrf, username: Text = "", password: Text = ""
) -> Response:
    """Set a new password for a user (the password rules apply)."""
    try:
        _admin(state).update_user(user.subject, username, password=password)
    except RacetrackError as e:
        return redirect(request, USERS, f"Password of {username} not changed: {e.message}", "error")
    return redirect(request, USERS, f"Password of {username} has been reset.")


# -- ESCs ----------------------------------------------------------------------------------------


def _escs_page(
    request: Request, user: PageSession, state: LifecycleState, status_code: int = 200, **context: Any
) -> Response:
    escs = EscService(state.db, state.auth).list(user.subject)
    values: dict[str, Any] = {"created": None, "error": None, "name": ""}
    values.update(context)
    return _page(request, "admin_escs.html", "External Service Consumers", status_code, escs=escs, **values)


@router.get("/administration/escs")
def escs(request: Request, user: StaffUser, state: State) -> Response:
    """The ESCs with their state and expiry; the form creating one."""
    return _escs_page(request, user, state)


@router.post("/administration/escs")
def create_esc(request: Request, user: StaffUser, state: State, _csrf: Csrf, name: Text = "") -> Response:
    """Create an ESC and show its token once, on this answer only."""
    try:
        created: EscInfo = EscService(state.db, state.auth).create(user.subject, name)
    except RacetrackError as e:
        return _escs_page(request, user, state, e.status_code, error=e.message, name=name)
    return _escs_page(request, user, state, created=created)


def parse_expiry(text: str) -> int:
    """A ``datetime-local`` value (``YYYY-MM-DDTHH:MM``, read as UTC) as a Unix timestamp."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(f"not a date and time: {text!r}; use YYYY-MM-DD HH:MM") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@router.post("/administration/escs/update")
def update_esc(
    request: Request,
    user: StaffUser,
    state: State,
    _csrf: Csrf,
    esc_id: Text = "",
    action: Text = "",
    expiry: Text = "",
) -> Response:
    """Activate/deactivate an ESC, or set or clear when its access expires."""
    service = EscService(state.db, state.auth)
    try:
        if action in ("activate", "deactivate"):
            service.update(user.subject, esc_id, active=action == "activate")
            message = f"ESC {esc_id} {action}d."
        elif action == "set_expiry":
            service.update(user.subject, esc_id, expiry_time=parse_expiry(expiry))
            message = f"ESC {esc_id} expires at {expiry} UTC."
        elif action == "clear_expiry":
            service.update(user.subject, esc_id, expiry_time=None)
            message = f"ESC {esc_id} never expires."
        else:
            raise InvalidInputError(f"unknown action: {action!r}")
    except RacetrackError as e:
        return redirect(request, ESCS, f"ESC {esc_id} not changed: {e.message}", "error")
    return redirect(request, ESCS, message)


# -- permissions ---------------------------------------------------------------------------------


def _permissions_page(
    request: Request,
    user: PageSession,
    state: LifecycleState,
    filters: dict[str, str],
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    filter_error = None
    try:
        permissions = _admin(state).list_permissions(
            user.subject,
            subject_type=filters.get("subject_type") or None,
            subject=filters.get("subject") or None,
            scope=filters.get("scope") or None,
        )
    except InvalidInputError as e:
        permissions, filter_error = [], e.message
    return _page(
        request,
        "admin_permissions.html",
        "Permissions",
        status_code,
        permissions=permissions,
        filters=filters,
        filter_error=filter_error,
        error=error,
        form=form or {},
        scopes=[scope.value for scope in Scope],
        subject_types=[kind.value for kind in SubjectType],
        escs=EscService(state.db, state.auth).list(user.subject),
    )


@router.get("/administration/permissions")
def permissions(
    request: Request,
    user: StaffUser,
    state: State,
    subject_type: Annotated[str, Query()] = "",
    subject: Annotated[str, Query()] = "",
    scope: Annotated[str, Query()] = "",
) -> Response:
    """Permission grants, filtered by subject type, subject and scope; the grant form."""
    filters = {"subject_type": subject_type, "subject": subject.strip(), "scope": scope}
    return _permissions_page(request, user, state, filters)


@router.post("/administration/permissions")
def grant_permission(
    request: Request,
    user: StaffUser,
    state: State,
    _csrf: Csrf,
    subject_type: Text = "",
    subject: Text = "",
    scope: Text = "",
    job_family: Text = "",
    job_version: Text = "",
    endpoint: Text = "",
) -> Response:
    """Grant a scope; errors (unknown user, family, scope...) are shown next to the form."""
    form = {
        "subject_type": subject_type,
        "subject": subject.strip(),
        "scope": scope,
        "job_family": job_family.strip(),
        "job_version": job_version.strip(),
        "endpoint": endpoint.strip(),
    }
    try:
        info = _admin(state).create_permission(
            user.subject,
            form["subject_type"],
            form["subject"],
            form["scope"],
            job_family=form["job_family"] or None,
            job_version=form["job_version"] or None,
            endpoint=form["endpoint"] or None,
        )
    except RacetrackError as e:
        return _permissions_page(request, user, state, {}, e.status_code, error=e.message, form=form)
    return redirect(
        request, PERMISSIONS, f"Permission {info.scope} granted to {info.subject_type} {info.subject}."
    )


@router.post("/administration/permissions/{permission_id}/revoke")
def revoke_permission(
    request: Request, user: StaffUser, state: State, _csrf: Csrf, permission_id: int
) -> Response:
    """Revoke a permission grant (the page asks for confirmation first)."""
    _admin(state).delete_permission(user.subject, permission_id)
    return redirect(request, PERMISSIONS, f"Permission {permission_id} revoked.")


# -- public endpoints ----------------------------------------------------------------------------


@router.get("/administration/public-endpoints")
def public_endpoints(
    request: Request, user: StaffUser, state: State, job_name: Annotated[str, Query()] = ""
) -> Response:
    """Requests to open job endpoints without a token, with their state."""
    items = _admin(state).list_public_endpoints(user.subject, job_name=job_name.strip() or None)
    return _page(
        request, "admin_public_endpoints.html", "Public endpoints", requests=items, job_name=job_name
    )


@router.post("/administration/public-endpoints/update")
def update_public_endpoint(
    request: Request, user: StaffUser, state: State, _csrf: Csrf, request_id: Text = "", active: Text = ""
) -> Response:
    """Activate (``active=true``) or deactivate a public endpoint request."""
    on = active.strip().lower() == "true"
    info = _admin(state).set_public_endpoint_active(user.subject, request_id, on)
    state_text = "activated" if on else "deactivated"
    return redirect(
        request,
        PUBLIC_ENDPOINTS,
        f"Public endpoint {info.endpoint} of {info.job_name} {info.job_version} {state_text}.",
    )


# -- trash ---------------------------------------------------------------------------------------


@router.get("/administration/trash")
def trash(
    request: Request, user: StaffUser, state: State, job_name: Annotated[str, Query()] = ""
) -> Response:
    """Deleted job versions, most recently deleted first."""
    items = _admin(state).list_trash(user.subject, job_name.strip() or None)
    return _page(request, "admin_trash.html", "Trash", jobs=items, job_name=job_name)
