"""``/auth``: PUB's one-shot authorisation of a job call; granting scopes to ESCs and families."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from racetrack.lifecycle.api.deps import Caller, State, request_token
from racetrack.lifecycle.api.users import set_auth_cookie
from racetrack.lifecycle.schemas import CanCallJobResponse
from racetrack.lifecycle.services.admin import AdminService
from racetrack.lifecycle.services.auth import SubjectKind
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


@router.get("/allowed/job/{name}/{version}/scope/{scope}", status_code=202)
def allowed_on_job(name: str, version: str, scope: str, caller: Caller, state: State) -> Response:
    """202 (empty) when the caller may do ``scope`` on the job (alias resolved), else 401."""
    state.jobs.check_allowed(caller, name, version, scope)
    return Response(status_code=202)


@router.get("/allowed/job_endpoint/{name}/{version}/scope/{scope}/endpoint/{endpoint:path}", status_code=202)
def allowed_on_endpoint(
    name: str, version: str, scope: str, endpoint: str, caller: Caller, state: State
) -> Response:
    """202 (empty) when the caller may do ``scope`` on this endpoint of the job, else 401."""
    state.jobs.check_allowed(caller, name, version, scope, endpoint)
    return Response(status_code=202)


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


class RegeneratedDto(BaseModel):
    regenerated: int


def _regenerate_all(caller: Caller, state: State, kind: SubjectKind) -> RegeneratedDto:
    return RegeneratedDto(regenerated=AdminService(state.db, state.auth).regenerate_all_tokens(caller, kind))


@router.post("/token/user/all/regenerate", response_model=RegeneratedDto)
def regenerate_all_user_tokens(caller: Caller, state: State) -> RegeneratedDto:
    """New tokens for every user (staff or ``call_admin_api``); users read theirs by logging in."""
    return _regenerate_all(caller, state, SubjectKind.USER)


@router.post("/token/job_family/regenerate", response_model=RegeneratedDto)
def regenerate_all_family_tokens(caller: Caller, state: State) -> RegeneratedDto:
    """New tokens for every job family; running jobs get theirs when redeployed."""
    return _regenerate_all(caller, state, SubjectKind.JOB_FAMILY)


@router.post("/token/esc/regenerate", response_model=RegeneratedDto)
def regenerate_all_esc_tokens(caller: Caller, state: State) -> RegeneratedDto:
    """New tokens for every ESC; read each with ``GET /auth/token/esc/{esc_id}``."""
    return _regenerate_all(caller, state, SubjectKind.ESC)


@router.get("/token/esc/{esc_id}", response_model=TokenDto)
def esc_token(esc_id: str, caller: Caller, state: State) -> TokenDto:
    """An ESC's token (staff or ``call_admin_api``); 404 for an unknown ESC."""
    return TokenDto(token=EscService(state.db, state.auth).token(caller, esc_id))
