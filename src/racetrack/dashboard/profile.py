"""The user's profile: token (copy, regenerate), CLI hints, changing the password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from racetrack.core.errors import RacetrackError
from racetrack.dashboard.auth_pages import PASSWORD_RULES
from racetrack.dashboard.csrf import Csrf
from racetrack.dashboard.rendering import is_htmx, redirect, render, toast
from racetrack.dashboard.session import BASE, PageUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.api.users import set_auth_cookie

router = APIRouter()


@router.get("/profile")
def profile(request: Request, user: PageUser) -> Response:
    return render(request, "profile.html", title="Profile", token=user.token)


@router.post("/profile/token")
def regenerate_token(request: Request, user: PageUser, state: State, _csrf: Csrf) -> Response:
    """Replace the user's token; the session cookie gets the new one (htmx: the token card only)."""
    token = state.users.regenerate_token(user.subject)
    if is_htmx(request):
        response: Response = render(request, "_token.html", token=token)
        toast(request, response, "Your token has been regenerated.")
    else:
        response = redirect(request, f"{BASE}/profile", "Your token has been regenerated.")
    set_auth_cookie(response, token, state.settings)
    return response


@router.get("/profile/change-password")
def change_password_page(request: Request, user: PageUser) -> Response:
    return render(request, "change_password.html", title="Change password", rules=PASSWORD_RULES, error=None)


@router.post("/profile/change-password")
def change_password(
    request: Request,
    user: PageUser,
    state: State,
    _csrf: Csrf,
    old_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_confirmation: Annotated[str, Form()] = "",
) -> Response:
    """Change the password with the same service as the API (the token stays the same)."""

    def again(status: int, error: str) -> Response:
        return render(
            request,
            "change_password.html",
            status_code=status,
            title="Change password",
            rules=PASSWORD_RULES,
            error=error,
        )

    if not old_password or not new_password:
        return again(400, "Enter your current password and a new one.")
    if new_password != new_password_confirmation:
        return again(400, "Passwords do not match.")
    try:
        state.users.change_password(user.subject, old_password, new_password)
    except RacetrackError as e:
        return again(400 if e.status_code == 401 else e.status_code, e.message)
    return redirect(request, f"{BASE}/profile", "Your password has been changed.")
