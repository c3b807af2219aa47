"""Who is looking at a page: the ``X-Racetrack-Auth`` cookie, checked by the same services as the API.

``PageUser`` (logged-in user, else a redirect to the login page), ``StaffUser`` (a 403 page
for non-staff) and ``OptionalUser`` (public pages that show more when logged in) are the
dependencies page modules declare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Request
from sqlalchemy.exc import SQLAlchemyError

from racetrack.core.errors import AuthenticationError, RacetrackError
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.services.auth import AUTH_HEADER, Subject, SubjectKind
from racetrack.lifecycle.state import LifecycleState

BASE = "/dashboard"


class LoginRequired(Exception):
    """No valid session: the error handler redirects to the login page with ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__("login required")
        self.next_path = next_path


class StaffOnlyError(RacetrackError):
    status_code = 403


@dataclass(frozen=True)
class PageSession:
    """The logged-in user of a page: its Subject (for service calls) and profile."""

    subject: Subject
    username: str
    token: str
    is_staff: bool


def session_token(request: Request) -> str | None:
    """The user token stored in the session cookie (set URL-quoted by ``set_auth_cookie``)."""
    raw = request.cookies.get(AUTH_HEADER)
    return unquote(raw).strip() or None if raw else None


def original_path(request: Request) -> str:
    """The requested path and query, as the browser sent it (for ``next``)."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def load_session(request: Request, state: LifecycleState) -> PageSession | None:
    """The page session of the cookie's token, or None when it is missing, unknown or expired."""
    if hasattr(request.state, "page_user"):
        cached: PageSession | None = request.state.page_user
        return cached
    token = session_token(request)
    session = None
    if token:
        try:
            subject = state.auth.authenticate(token)
            if subject.kind == SubjectKind.USER:
                profile = state.users.profile(subject)
                session = PageSession(subject, profile.username, profile.token, profile.is_staff)
        except AuthenticationError:
            session = None
    request.state.page_user = session
    return session


def page_user(request: Request, state: State) -> PageSession:
    """Dependency: the logged-in user, or a redirect to ``/dashboard/login?next=...``."""
    session = load_session(request, state)
    if session is None:
        raise LoginRequired(original_path(request))
    return session


def optional_user(request: Request, state: State) -> PageSession | None:
    """Dependency: the logged-in user when there is one (public pages; None if the DB is down)."""
    try:
        return load_session(request, state)
    except SQLAlchemyError:
        return None


def staff_user(user: Annotated[PageSession, Depends(page_user)]) -> PageSession:
    """Dependency: a logged-in staff user, or a 403 page."""
    if not user.is_staff:
        raise StaffOnlyError("This page is for Racetrack administrators (staff) only.")
    return user


PageUser = Annotated[PageSession, Depends(page_user)]
OptionalUser = Annotated[PageSession | None, Depends(optional_user)]
StaffUser = Annotated[PageSession, Depends(staff_user)]


def safe_next(next_path: str | None) -> str:
    """``next`` when it is a local Dashboard path, else the Dashboard's home (no open redirects)."""
    if (
        next_path
        and next_path.startswith(f"{BASE}/")
        and not next_path.startswith("//")
        and "\\" not in next_path
        and "://" not in next_path
        and all(ch.isprintable() for ch in next_path)
    ):
        return next_path
    return f"{BASE}/"
