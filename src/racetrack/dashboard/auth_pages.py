"""Login, registration, password reset and logout pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from racetrack.core.errors import RacetrackError
from racetrack.dashboard.csrf import Csrf
from racetrack.dashboard.rendering import redirect, render
from racetrack.dashboard.session import BASE, OptionalUser, safe_next
from racetrack.lifecycle.api.deps import State, client_address
from racetrack.lifecycle.api.users import delete_auth_cookie, set_auth_cookie

router = APIRouter()

PASSWORD_RULES = (
    "Your password can't be too similar to your other personal information (your e-mail address).",
    "Your password must contain at least 8 characters.",
    "Your password can't be a commonly used password.",
    "Your password can't be entirely numeric.",
)


@router.get("/login")
def login_page(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    """The login form (a logged-in user goes straight on to ``next``)."""
    if user is not None:
        return redirect(request, safe_next(next))
    return render(request, "login.html", title="Login", next=safe_next(next), username="", error=None)


@router.post("/login")
def login(
    request: Request,
    state: State,
    _csrf: Csrf,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the credentials with the same service as the API; set the session cookie."""
    target = safe_next(next)
    if not username.strip() or not password:
        error = "Enter your e-mail address and password."
        return render(
            request, "login.html", status_code=400, title="Login", next=target, username=username, error=error
        )
    try:
        result = state.users.login(username.strip(), password, client_address(request))
    except RacetrackError as e:
        return render(
            request,
            "login.html",
            status_code=e.status_code,
            title="Login",
            next=target,
            username=username,
            error=e.message,
        )
    response = redirect(request, target, f"Logged in as {result.username}")
    set_auth_cookie(response, result.token, state.settings)
    return response


@router.get("/register")
def register_page(request: Request) -> Response:
    return render(request, "register.html", title="Register", rules=PASSWORD_RULES, username="", error=None)


@router.post("/register")
def register(
    request: Request,
    state: State,
    _csrf: Csrf,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_confirmation: Annotated[str, Form()] = "",
) -> Response:
    """Create an inactive account; a staff member must activate it."""

    def again(status: int, error: str) -> Response:
        return render(
            request,
            "register.html",
            status_code=status,
            title="Register",
            rules=PASSWORD_RULES,
            username=username,
            error=error,
        )

    if not username.strip() or not password:
        return again(400, "Enter an e-mail address and a password.")
    if password != password_confirmation:
        return again(400, "Passwords do not match.")
    try:
        state.users.register(username, password)
    except RacetrackError as e:
        return again(e.status_code, e.message)
    return redirect(
        request,
        f"{BASE}/login",
        "Your account has been created. An administrator must activate it before you can log in.",
        "info",
    )


@router.get("/reset-password")
def reset_password(request: Request) -> Response:
    return render(request, "reset_password.html", title="Reset password")


@router.get("/logout")
def logout_page(request: Request, user: OptionalUser) -> Response:
    """A page with a Logout button (logging out is a POST carrying the CSRF token)."""
    if user is None:
        return redirect(request, f"{BASE}/login")
    return render(request, "logout.html", title="Logout")


@router.post("/logout")
def logout(request: Request, state: State, _csrf: Csrf) -> Response:
    """Delete the session cookie and go to the login page."""
    response = redirect(request, f"{BASE}/login", "You're logged out.", "info")
    delete_auth_cookie(response, state.settings)
    return response
