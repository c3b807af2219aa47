"""``/escs``: create and list External Service Consumers (staff)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from racetrack.lifecycle.api.deps import Caller, State
from racetrack.lifecycle.services.escs import EscService

router = APIRouter(prefix="/escs", tags=["escs"])


class CreateEscBody(BaseModel):
    name: str
    id: str | None = None


class EscDto(BaseModel):
    id: str
    name: str


class CreatedEscDto(EscDto):
    token: str


@router.get("", response_model=list[EscDto])
def list_escs(caller: Caller, state: State) -> list[EscDto]:
    """Every ESC (``{id, name}``)."""
    return [EscDto(id=esc.id, name=esc.name) for esc in EscService(state.db, state.auth).list(caller)]


@router.post("", response_model=CreatedEscDto)
def create_esc(body: CreateEscBody, caller: Caller, state: State) -> CreatedEscDto:
    """A new ESC and its token (grant it scopes with ``/auth/allow/esc/...``); 409 on a taken id."""
    esc = EscService(state.db, state.auth).create(caller, body.name, body.id)
    assert esc.token is not None
    return CreatedEscDto(id=esc.id, name=esc.name, token=esc.token)
