"""Asking Lifecycle "may this token call this job endpoint, and where is the job?".

The answer is an :class:`AccessDecision`. :class:`JobAuthorizer` is the extension point: the
HTTP implementation below talks to Lifecycle; a remote-gateway PUB (spec §12) would supply one
that asks the main PUB over its channel instead.
"""

from __future__ import annotations

import enum
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from yarl import URL

from racetrack.pub.credentials import AUTH_HEADER
from racetrack.pub.metrics import PubMetrics
from racetrack.pub.routing import JobCall


class Outcome(enum.Enum):
    """What Lifecycle decided about a call."""

    ALLOWED = 200
    UNAUTHENTICATED = 401
    NOT_FOUND = 404
    UNAVAILABLE = 503  # maintenance mode


@dataclass(frozen=True, slots=True)
class JobTarget:
    """Where a resolved job (name, exact version) answers."""

    name: str
    version: str
    status: str
    replicas: tuple[str, ...]  # host:port of each replica, never empty
    remote_gateway_url: str | None = None
    remote_gateway_token: str | None = None


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """Lifecycle's answer about one (job, version as typed, endpoint, token)."""

    outcome: Outcome
    target: JobTarget | None = None
    caller: str | None = None
    reason: str = ""  # Lifecycle's message when the call is refused

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED


class LifecycleError(Exception):
    """Lifecycle could not give an answer (network error, timeout, 5xx, malformed reply)."""


class JobAuthorizer(Protocol):
    """Decides whether a call is allowed and where it goes."""

    async def authorize(self, call: JobCall, token: str | None, request_id: str) -> AccessDecision:
        """Ask about ``call`` made with ``token``; raise :class:`LifecycleError` when no answer."""
        ...


class LifecycleAuthorizer:
    """:class:`JobAuthorizer` over Lifecycle's ``GET /api/v1/auth/can-call-job/...``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        lifecycle_url: str,
        timeout: float,
        tracing_header: str,
        metrics: PubMetrics,
    ) -> None:
        self._session = session
        self._base = lifecycle_url.rstrip("/") + "/api/v1/auth/can-call-job/"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._tracing_header = tracing_header
        self._metrics = metrics

    async def authorize(self, call: JobCall, token: str | None, request_id: str) -> AccessDecision:
        url = URL(f"{self._base}{call.name}/{call.version}/{call.path.lstrip('/')}", encoded=True)
        headers = {self._tracing_header: request_id}
        if token:
            headers[AUTH_HEADER] = token
        self._metrics.lifecycle_calls.inc()
        started = time.perf_counter()
        try:
            async with self._session.get(
                url, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as response:
                status = response.status
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as e:
            raise LifecycleError(f"Lifecycle is unreachable: {_describe(e)}") from e
        payload = _json_object(body)
        if status == 200:
            self._metrics.lifecycle_call_time.inc(time.perf_counter() - started)
            return _allowed(payload)
        message = str(payload.get("error") or payload.get("detail") or "") if payload else ""
        if status in (401, 403):
            return AccessDecision(Outcome.UNAUTHENTICATED, reason=message)
        if status == 404:
            return AccessDecision(Outcome.NOT_FOUND, reason=message or f"{call.name} {call.version}")
        if status == 503 and message:
            # Lifecycle's own refusal (maintenance mode); a bare 503 is an outage, handled below
            return AccessDecision(Outcome.UNAVAILABLE, reason=message)
        raise LifecycleError(f"Lifecycle answered {status}: {message or body[:200].decode(errors='replace')}")


def _allowed(payload: dict[str, Any] | None) -> AccessDecision:
    try:
        assert payload is not None
        job = payload["job"]
        replicas = tuple(str(r) for r in job.get("replica_internal_names") or () if r)
        if not replicas and job.get("internal_name"):
            replicas = (str(job["internal_name"]),)
        target = JobTarget(
            name=str(job["name"]),
            version=str(job["version"]),
            status=str(job.get("status") or ""),
            replicas=replicas,
            remote_gateway_url=payload.get("remote_gateway_url") or None,
            remote_gateway_token=payload.get("remote_gateway_token") or None,
        )
        caller = payload.get("caller")
    except (AssertionError, KeyError, TypeError, AttributeError) as e:
        raise LifecycleError(f"Lifecycle's answer lacks job details: {e!r}") from e
    return AccessDecision(Outcome.ALLOWED, target=target, caller=str(caller) if caller else None)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
