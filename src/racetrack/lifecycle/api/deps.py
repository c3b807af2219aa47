"""Dependencies handed to route handlers: the app's state and the authenticated caller."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from racetrack.core.errors import AuthenticationError
from racetrack.lifecycle.services.auth import ANONYMOUS, AUTH_HEADER, Subject, read_token
from racetrack.lifecycle.state import LifecycleState


def get_state(request: Request) -> LifecycleState:
    state: LifecycleState = request.app.state.lifecycle
    return state


State = Annotated[LifecycleState, Depends(get_state)]


def request_token(request: Request) -> str | None:
    return read_token(request.headers)


# Declares the header in the OpenAPI description (Swagger's "Authorize" button); the token
# itself is read by read_token, which also accepts the legacy headers.
api_key = APIKeyHeader(name=AUTH_HEADER, auto_error=False, description="a Racetrack token (rt_u_...)")


def current_subject(
    request: Request, state: State, _declared: Annotated[str | None, Security(api_key)] = None
) -> Subject:
    """The caller; 401 without a valid token unless ``auth_required`` is off."""
    token = read_token(request.headers)
    if state.settings.auth_required:
        return state.auth.authenticate(token)
    if not token:
        return ANONYMOUS
    try:
        return state.auth.authenticate(token)
    except AuthenticationError:
        return ANONYMOUS


def client_address(request: Request) -> str:
    """The caller's address: the peer, or, when the peer is a trusted proxy, the nearest
    address in X-Forwarded-For that is not one (addresses further left could be forged)."""
    peer = request.client.host if request.client else "unknown"
    trusted = get_state(request).settings.trusted_proxy_networks
    if not trusted:
        return peer
    forwarded = [
        hop.strip() for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")
    ]
    hops = [peer, *reversed([hop for hop in forwarded if hop])]
    for hop in hops:
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return hop
        if not any(address in network for network in trusted):
            return hop
    return hops[-1]


Caller = Annotated[Subject, Depends(current_subject)]
