"""Authorisation with a cache in front: one Lifecycle call per miss, none on a warm hit.

Cache key: (job name, version as typed, normalised endpoint, SHA-256 of the token). Health
paths (``/health``, ``/live``, ``/ready``) are open to everyone, so they use a token-free
*routing* key (name, version as typed) which every allowed answer also refreshes: once any call
of a job has been authorised, its health probes need no Lifecycle call at all.

Concurrent misses of one key share one Lifecycle call. When Lifecycle fails (network error,
timeout, 5xx), a still-usable allowed answer is served (stale-if-error); while it keeps
failing, such answers are served at once and Lifecycle is probed in the background at most
once per :data:`PROBE_INTERVAL` instead of making callers wait for its timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable

from loguru import logger

from racetrack.pub.cache import TtlLruCache
from racetrack.pub.lifecycle import AccessDecision, JobAuthorizer, LifecycleError, Outcome
from racetrack.pub.metrics import PubMetrics
from racetrack.pub.routing import HEALTH_PATHS, JobCall

PROBE_INTERVAL = 1.0
"""Seconds between background Lifecycle probes while it is failing and stale answers are served."""

CacheKey = tuple[str, str, str, str]
_ROUTE = "\x00route"  # endpoint slot of routing keys; no request path can equal it


def cache_key(call: JobCall, token: str | None) -> CacheKey:
    """The key an answer about ``call`` made with ``token`` is cached under."""
    endpoint = call.endpoint
    if endpoint in HEALTH_PATHS:
        return (call.name, call.version, _ROUTE, "")
    token_hash = hashlib.sha256(token.encode()).hexdigest() if token else ""
    return (call.name, call.version, endpoint, token_hash)


class AccessGate:
    """Answers "may this call go through, and to which job?" from the cache or from Lifecycle."""

    def __init__(
        self,
        authorizer: JobAuthorizer,
        cache: TtlLruCache[AccessDecision],
        metrics: PubMetrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.authorizer = authorizer
        self.cache = cache
        self._metrics = metrics
        self._clock = clock
        self._inflight: dict[CacheKey, asyncio.Task[AccessDecision]] = {}
        self._lifecycle_failing = False
        self._next_probe = 0.0

    async def check(self, call: JobCall, token: str | None, request_id: str) -> AccessDecision:
        """Lifecycle's (possibly cached) decision about ``call``.

        Raises:
            LifecycleError: Lifecycle failed and no usable cached answer exists.
        """
        key = cache_key(call, token)
        decision = self.cache.fresh(key)
        if decision is not None:
            self._metrics.cache_retrieved.inc()
            return decision
        if self._lifecycle_failing:
            stale = self.cache.stale(key)
            if stale is not None:
                self._metrics.cache_recovered.inc()
                now = self._clock()
                if now >= self._next_probe and key not in self._inflight:
                    self._next_probe = now + PROBE_INTERVAL
                    self._fetch(key, call, token, request_id)
                return stale
        try:
            return await asyncio.shield(self._fetch(key, call, token, request_id))
        except LifecycleError as e:
            stale = self.cache.stale(key)
            if stale is None:
                raise
            self._metrics.cache_recovered.inc()
            logger.warning(
                "Lifecycle failed, using a cached authorisation", error=str(e), requestId=request_id
            )
            return stale

    async def refresh(self, call: JobCall, token: str | None, request_id: str) -> AccessDecision | None:
        """Ask Lifecycle again, bypassing the cache (e.g. a cached address stopped answering).

        Returns None when Lifecycle cannot be reached.
        """
        try:
            return await asyncio.shield(self._fetch(cache_key(call, token), call, token, request_id))
        except LifecycleError:
            return None

    def _fetch(
        self, key: CacheKey, call: JobCall, token: str | None, request_id: str
    ) -> asyncio.Task[AccessDecision]:
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._ask_lifecycle(key, call, token, request_id))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def _finished(self, key: CacheKey, task: asyncio.Task[AccessDecision]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here so an unwatched background probe never warns

    async def _ask_lifecycle(
        self, key: CacheKey, call: JobCall, token: str | None, request_id: str
    ) -> AccessDecision:
        try:
            decision = await self.authorizer.authorize(call, token, request_id)
        except LifecycleError:
            self._metrics.lifecycle_errors.inc()
            self._lifecycle_failing = True
            raise
        self._lifecycle_failing = False
        if decision.allowed:
            self.cache.store(key, decision, positive=True)
            if key[2] != _ROUTE:
                route = AccessDecision(Outcome.ALLOWED, target=decision.target, caller=None)
                self.cache.store((key[0], key[1], _ROUTE, ""), route, positive=True)
        else:
            self.cache.store(key, decision, positive=False)
        return decision
