"""``/auth``: PUB's one-shot authorisation of a job call; granting scopes to ESCs and families."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from racetrack.lifecycle.api.deps import Caller, State, request_token
from racetrack.lifecycle.api.users import set_auth_cookie
from racetrack.lifecycle.schemas import CanCallJobResponse
from racetrack.lifecycle.services.escs import EscService
from racetrack.lifecycle.services.permissions import PermissionService

router = APIRouter(prefix="/auth", tags=["auth"])


@router.get("/can-call-job/{name}/{version}/{endpoint:path}", response_model=CanCallJobResponse)
def can_call_job(
    name: str, version: str, endpoint: str, request: Request, state: State
) -> CanCallJobResponse:
    """May the request's token call this endpoint of this job (alias resolved), and where is it?

    401 when not allowed, 404 when the job does not exist or is not running. Maintenance
    mode does not stop job calls: it freezes changes to jobs, not their use.
    """
    return state.jobs.can_call_job(request_token(request), name, version, endpoint)


@router.post("/allow/esc/{esc_id}/job/{job_name}/scope/{scope}")
def allow_esc(esc_id: str, job_name: str, scope: str, caller: Caller, state: State) -> None:
    """Grant an ESC ``scope`` on every version of family ``job_name`` (``call_admin_api``).

    400 naming an unknown ESC, family or scope; granting twice changes nothing.
    """
    PermissionService(state.db, state.auth).allow_esc(caller, esc_id, job_name, scope)


@router.post("/allow/job_family/{source}/job/{target}/scope/{scope}")
def allow_job_family(source: str, target: str, scope: str, caller: Caller, state: State) -> None:
    """Grant family ``source`` ``scope`` on every version of family ``target`` (one way)."""
    PermissionService(state.db, state.auth).allow_family(caller, source, target, scope)


class NewTokenDto(BaseModel):
    new_token: str


class TokenDto(BaseModel):
    token: str


@router.post("/token/user/regenerate", response_model=NewTokenDto)
def regenerate_user_token(caller: Caller, state: State, response: Response) -> NewTokenDto:
    """Replace the calling user's token (the old one stops working at once); refreshes the cookie."""
    token = state.users.regenerate_token(caller)
    set_auth_cookie(response, token, state.settings)
    return NewTokenDto(new_token=token)


@router.get("/token/esc/{esc_id}", response_model=TokenDto)
def esc_token(esc_id: str, caller: Caller, state: State) -> TokenDto:
    """An ESC's token (staff or ``call_admin_api``); 404 for an unknown ESC."""
    return TokenDto(token=EscService(state.db, state.auth).token(caller, esc_id))
