"""The administration API (staff or ``call_admin_api``): users, permissions, public endpoints,
trash, maintenance mode."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from pydantic import BaseModel

from racetrack.lifecycle.api.deps import Caller, State
from racetrack.lifecycle.services.admin import AdminService

router = APIRouter(tags=["admin"])


def _service(state: State) -> AdminService:
    return AdminService(state.db, state.auth)


class UserDto(BaseModel):
    username: str
    is_active: bool
    is_staff: bool


class UpdateUserBody(BaseModel):
    is_active: bool | None = None
    is_staff: bool | None = None
    password: str | None = None


class CreatePermissionBody(BaseModel):
    subject_type: str
    subject: str
    scope: str
    job_family: str | None = None
    job_version: str | None = None
    endpoint: str | None = None


class PermissionDto(CreatePermissionBody):
    id: int


class PublicEndpointDto(BaseModel):
    id: str
    job_name: str
    job_version: str
    endpoint: str
    active: bool


class MaintenanceDto(BaseModel):
    enabled: bool


class TrashJobDto(BaseModel):
    id: str
    name: str
    version: str
    status: str
    deployed_by: str | None
    infrastructure_target: str | None
    job_type_version: str | None
    create_time: int
    delete_time: int
    manifest_yaml: str


@router.get("/users", response_model=list[UserDto])
def list_users(caller: Caller, state: State) -> list[UserDto]:
    """Every user account (``{username, is_active, is_staff}``)."""
    return [UserDto(**asdict(user)) for user in _service(state).list_users(caller)]


@router.patch("/users/{username}", response_model=UserDto)
def update_user(username: str, body: UpdateUserBody, caller: Caller, state: State) -> UserDto:
    """Change a user's ``is_active``, ``is_staff`` or ``password``; 404 for an unknown user."""
    user = _service(state).update_user(
        caller, username, is_active=body.is_active, is_staff=body.is_staff, password=body.password
    )
    return UserDto(**asdict(user))


@router.get("/permissions", response_model=list[PermissionDto])
def list_permissions(
    caller: Caller,
    state: State,
    subject_type: str | None = None,
    subject: str | None = None,
    scope: str | None = None,
) -> list[PermissionDto]:
    """Grants, optionally filtered by subject type (user, esc, job_family), subject and scope."""
    grants = _service(state).list_permissions(caller, subject_type, subject, scope)
    return [PermissionDto(**asdict(grant)) for grant in grants]


@router.post("/permissions", response_model=PermissionDto)
def create_permission(body: CreatePermissionBody, caller: Caller, state: State) -> PermissionDto:
    """Grant a scope to a user (username), ESC (id) or job family (name), optionally narrowed
    to a family, one job version of it and one endpoint; 400 naming anything unknown."""
    created = _service(state).create_permission(
        caller,
        body.subject_type,
        body.subject,
        body.scope,
        body.job_family,
        body.job_version,
        body.endpoint,
    )
    return PermissionDto(**asdict(created))


@router.delete("/permissions/{permission_id}")
def delete_permission(permission_id: int, caller: Caller, state: State) -> None:
    """Revoke a grant; 404 for an unknown id."""
    _service(state).delete_permission(caller, permission_id)


@router.get("/public-endpoints", response_model=list[PublicEndpointDto])
def list_public_endpoints(
    caller: Caller, state: State, job_name: str | None = None, active: bool | None = None
) -> list[PublicEndpointDto]:
    """Public endpoint requests, optionally of one job (name) and by status."""
    requests = _service(state).list_public_endpoints(caller, job_name, active)
    return [PublicEndpointDto(**asdict(request)) for request in requests]


@router.post("/public-endpoints/{request_id}/activate", response_model=PublicEndpointDto)
def activate_public_endpoint(request_id: str, caller: Caller, state: State) -> PublicEndpointDto:
    """Approve a request: PUB then lets calls under that endpoint through without a token."""
    return PublicEndpointDto(**asdict(_service(state).set_public_endpoint_active(caller, request_id, True)))


@router.post("/public-endpoints/{request_id}/deactivate", response_model=PublicEndpointDto)
def deactivate_public_endpoint(request_id: str, caller: Caller, state: State) -> PublicEndpointDto:
    """Withdraw an approval: calls need a token again."""
    return PublicEndpointDto(**asdict(_service(state).set_public_endpoint_active(caller, request_id, False)))


@router.get("/trash", response_model=list[TrashJobDto])
def list_trash(caller: Caller, state: State, job_name: str | None = None) -> list[TrashJobDto]:
    """Deleted job versions (their names and versions stay claimed), newest deletion first."""
    return [TrashJobDto(**asdict(row)) for row in _service(state).list_trash(caller, job_name or None)]


@router.get("/settings/maintenance", response_model=MaintenanceDto)
def get_maintenance(caller: Caller, state: State) -> MaintenanceDto:
    """Whether maintenance mode is on (deploy, delete and other changes refused)."""
    return MaintenanceDto(enabled=_service(state).maintenance_mode(caller))


@router.put("/settings/maintenance", response_model=MaintenanceDto)
def put_maintenance(body: MaintenanceDto, caller: Caller, state: State) -> MaintenanceDto:
    """Turn maintenance mode on or off."""
    return MaintenanceDto(enabled=_service(state).set_maintenance_mode(caller, body.enabled))
