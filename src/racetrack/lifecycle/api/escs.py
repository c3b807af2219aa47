"""``/escs``: create and list External Service Consumers (staff)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from racetrack.lifecycle.api.deps import Caller, State
from racetrack.lifecycle.services.escs import EscService

router = APIRouter(prefix="/escs", tags=["escs"])


class CreateEscBody(BaseModel):
    name: str
    id: str | None = None
    # a pre-2.0 token to keep (base64 of {"esc-id", "api-key"}); the ESC takes its id
    legacy_token: str | None = None


class UpdateEscBody(BaseModel):
    active: bool | None = None
    expiry_time: int | None = None  # unix seconds; null: never expires


class EscAccessDto(BaseModel):
    id: str
    name: str
    active: bool
    expiry_time: int | None


class EscDto(BaseModel):
    id: str
    name: str


class EscListedDto(EscDto):
    active: bool
    expiry_time: int | None  # unix seconds; null: never expires


class CreatedEscDto(EscDto):
    token: str


@router.get("", response_model=list[EscListedDto])
def list_escs(caller: Caller, state: State) -> list[EscListedDto]:
    """Every ESC (``{id, name, active, expiry_time}``), by name."""
    return [
        EscListedDto(id=esc.id, name=esc.name, active=esc.active, expiry_time=esc.expiry_time)
        for esc in EscService(state.db, state.auth).list(caller)
    ]


@router.post("", response_model=CreatedEscDto)
def create_esc(body: CreateEscBody, caller: Caller, state: State) -> CreatedEscDto:
    """A new ESC and its token (grant it scopes with ``/auth/allow/esc/...``); 409 on a taken id."""
    esc = EscService(state.db, state.auth).create(caller, body.name, body.id, body.legacy_token)
    assert esc.token is not None
    return CreatedEscDto(id=esc.id, name=esc.name, token=esc.token)


@router.patch("/{esc_id}", response_model=EscAccessDto)
def update_esc(esc_id: str, body: UpdateEscBody, caller: Caller, state: State) -> EscAccessDto:
    """Revoke/restore an ESC (``active``) or set when its access expires (``expiry_time``, unix
    seconds; ``null`` removes it); only the fields sent change. Staff; 404 for an unknown ESC.
    """
    changes: dict[str, Any] = {}
    if "expiry_time" in body.model_fields_set:
        changes["expiry_time"] = body.expiry_time
    esc = EscService(state.db, state.auth).update(caller, esc_id, active=body.active, **changes)
    return EscAccessDto(id=esc.id, name=esc.name, active=esc.active, expiry_time=esc.expiry_time)
