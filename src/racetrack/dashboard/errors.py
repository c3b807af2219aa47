"""Error pages: every failure becomes a page (or, for htmx, a toast) with a clear message.

- ``LoginRequired`` → 303 to the login page with ``next`` (``HX-Redirect`` for htmx);
- ``RacetrackError`` → its status code and message (``CsrfError`` → 403, staff-only → 403);
- a database error → 503 "the database is not reachable";
- unknown routes → the 404 page; anything else → 500 without a traceback (it is logged).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from loguru import logger
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from racetrack.core.errors import AuthenticationError, RacetrackError
from racetrack.dashboard.rendering import is_htmx, redirect, render
from racetrack.dashboard.session import BASE, LoginRequired, original_path

DATABASE_DOWN = (
    "The database is not reachable, so this page can't be shown right now. "
    "Racetrack keeps retrying; try again in a moment, and tell your administrator if it lasts."
)


def error_response(request: Request, status: int, message: str, title: str | None = None) -> Response:
    """The error page (or, for htmx requests, an empty answer whose toast shows ``message``)."""
    if is_htmx(request):
        payload = json.dumps({"toast": {"level": "error", "message": message}})
        return Response(message, status_code=status, headers={"HX-Trigger": payload}, media_type="text/plain")
    title = title or {403: "Forbidden", 404: "Page not found", 503: "Service unavailable"}.get(
        status, "Error"
    )
    return render(request, "error.html", status_code=status, title=title, message=message, status=status)


def login_redirect(request: Request, next_path: str) -> Response:
    return redirect(
        request, f"{BASE}/login?next={quote(next_path, safe='')}", "Please log in to see this page.", "info"
    )


def add_error_handlers(app: FastAPI) -> None:
    """Install the Dashboard's handlers on its app."""

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_redirect(request, exc.next_path)

    async def racetrack_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RacetrackError)
        if isinstance(exc, AuthenticationError):  # the session went bad during the request
            return login_redirect(request, original_path(request))
        log = logger.error if exc.status_code >= 500 else logger.info
        log(f"dashboard {request.method} {request.url.path} failed: {exc.message}", status=exc.status_code)
        return error_response(request, exc.status_code, exc.message)

    async def database_error(request: Request, exc: Exception) -> Response:
        logger.error(f"dashboard {request.method} {request.url.path}: database error: {type(exc).__name__}")
        return error_response(request, 503, DATABASE_DOWN, "Database unavailable")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return error_response(request, 404, f"There is no page at {request.url.path}.")
        return error_response(request, exc.status_code, str(exc.detail))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        fields = ", ".join(str(item.get("loc", ("?",))[-1]) for item in exc.errors())
        return error_response(request, 400, f"Invalid or missing form fields: {fields}.")

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        logger.opt(exception=exc).error(f"dashboard {request.method} {request.url.path} failed")
        return error_response(request, 500, "Something went wrong on the server; the error has been logged.")

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(RacetrackError, racetrack_error)
    app.add_exception_handler(SQLAlchemyError, database_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)
