"""``/users``: log in and out, check a token, change a password."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from racetrack.lifecycle.api.deps import Caller, State, client_address
from racetrack.lifecycle.schemas import ChangePasswordBody, LoginBody, UserProfile
from racetrack.lifecycle.services.auth import AUTH_HEADER
from racetrack.lifecycle.settings import LifecycleSettings

router = APIRouter(prefix="/users", tags=["users"])
COOKIE_MAX_AGE = 31 * 24 * 3600


def set_auth_cookie(response: Response, token: str, settings: LifecycleSettings) -> None:
    """The session cookie: host-only, or for the cluster host when ``CLUSTER_FQDN`` is set."""
    response.set_cookie(
        AUTH_HEADER,
        quote(token, safe=""),
        max_age=COOKIE_MAX_AGE,
        path="/",
        domain=settings.cluster_host,
        httponly=True,
        samesite="lax",
        secure=settings.enforce_secure_cookie,
    )


def delete_auth_cookie(response: Response, settings: LifecycleSettings) -> None:
    response.delete_cookie(AUTH_HEADER, path="/", domain=settings.cluster_host)


@router.post("/login", response_model=UserProfile)
def login(body: LoginBody, request: Request, response: Response, state: State) -> UserProfile:
    """Check username and password; answer the user's token and set the auth cookie."""
    result = state.users.login(body.username, body.password, client_address(request))
    set_auth_cookie(response, result.token, state.settings)
    return UserProfile(username=result.username, token=result.token, is_staff=result.is_staff)


class RegisterBody(BaseModel):
    username: str
    password: str


class RegisteredDto(BaseModel):
    username: str
    active: bool
    message: str


@router.post("/register", response_model=RegisteredDto)
def register(body: RegisterBody, state: State) -> RegisteredDto:
    """Create an account (inactive until a staff member activates it).

    400 when the username is not an e-mail address or the password is weak (naming the rule);
    409 when the username is taken.
    """
    username = state.users.register(body.username, body.password)
    return RegisteredDto(
        username=username,
        active=False,
        message="account created; a staff member has to activate it before you can log in",
    )


@router.get("/logout")
def logout(response: Response, state: State) -> None:
    """Delete the auth cookie."""
    delete_auth_cookie(response, state.settings)


@router.get("/validate_user_auth", response_model=UserProfile)
def validate_user_auth(caller: Caller, state: State) -> UserProfile:
    """Whose user token this is (the CLI's ``racetrack login TOKEN`` check)."""
    result = state.users.profile(caller)
    return UserProfile(username=result.username, token=result.token, is_staff=result.is_staff)


@router.put("/change_password")
def change_password(body: ChangePasswordBody, caller: Caller, state: State) -> None:
    """Change the calling user's password (its token stays the same)."""
    state.users.change_password(caller, body.old_password, body.new_password)
