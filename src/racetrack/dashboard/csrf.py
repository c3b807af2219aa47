"""CSRF protection of the Dashboard's forms: a signed double-submit cookie.

Each browser gets a random ``rt_csrf`` cookie (HttpOnly, SameSite=Lax); the token a form or an
htmx request must send back is ``HMAC(server key, cookie)``. Another site can neither read the
cookie nor compute the HMAC (the server key derives from the installation's secret key), so
a forged POST lacks a valid token and is refused with 403. The token does not depend on the
auth token, so regenerating the auth token keeps the open pages' forms valid.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from racetrack.core.errors import RacetrackError
from racetrack.lifecycle.settings import LifecycleSettings

CSRF_COOKIE = "rt_csrf"
CSRF_FIELD = "csrf_token"  # form field name
CSRF_HEADER = "X-CSRF-Token"  # header name (htmx requests, set by hx-headers on <body>)


class CsrfError(RacetrackError):
    """A state-changing request without a valid CSRF token."""

    status_code = 403


def server_key(settings: LifecycleSettings) -> bytes:
    """The HMAC key: derived from the installation's secret key (setting or key file)."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value().strip():
        material = settings.secret_key.get_secret_value().strip()
    else:
        material = settings.resolved_secret_key_file.read_text().strip()
    return hmac.new(material.encode(), b"racetrack dashboard csrf", hashlib.sha256).digest()


def _key(request: Request) -> bytes:
    key: bytes | None = getattr(request.app.state, "csrf_key", None)
    if key is None:
        key = server_key(request.app.state.lifecycle.settings)
        request.app.state.csrf_key = key
    return key


def _seed(request: Request) -> str:
    """This browser's random CSRF cookie value (a new one when it has none yet)."""
    seed: str | None = getattr(request.state, "csrf_seed", None)
    if seed is None:
        seed = request.cookies.get(CSRF_COOKIE) or ""
        if len(seed) < 20:
            seed = secrets.token_urlsafe(24)
            request.state.csrf_new = True
        request.state.csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    """The token forms of this request's page must carry (templates get it as ``csrf_token``)."""
    return hmac.new(_key(request), _seed(request).encode(), hashlib.sha256).hexdigest()


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Store a newly made CSRF seed in the browser (``render`` calls this)."""
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(
            CSRF_COOKIE,
            request.state.csrf_seed,
            path="/dashboard",
            httponly=True,
            samesite="lax",
            secure=request.app.state.lifecycle.settings.enforce_secure_cookie,
        )


async def csrf_protect(request: Request) -> None:
    """Dependency: refuse (403) a request whose form field or header lacks a valid CSRF token."""
    seed = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not seed or not sent:
        raise CsrfError(
            "This form has no valid security token (CSRF). Reload the page and try again; "
            "make sure your browser accepts cookies from this site."
        )
    expected = hmac.new(_key(request), seed.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sent):
        raise CsrfError(
            "This form's security token (CSRF) is invalid or expired. Reload the page and try again."
        )


Csrf = Annotated[None, Depends(csrf_protect)]
