"""PUB as a raw ASGI application: dispatch on the first path segment, no router on the hot path.

``create_app(settings)`` gives the app; its ASGI lifespan opens one shared aiohttp session
(keep-alive pool; Lifecycle calls, and job calls with ``upstream_client="aiohttp"``) and, with
``upstream_client="native"``, PUB's own :class:`~racetrack.pub.upstream.UpstreamPool` for job
calls, and closes them. A parent that mounts PUB without forwarding lifespan events
can call :meth:`PubApp.startup` and :meth:`PubApp.shutdown` itself; without either, the
session is opened on the first request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from loguru import logger
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from racetrack.pub.access import AccessGate
from racetrack.pub.asgi import Receive, Scope, Send, send_bytes, send_json
from racetrack.pub.cache import TtlLruCache
from racetrack.pub.lifecycle import AccessDecision, JobAuthorizer, LifecycleAuthorizer
from racetrack.pub.metrics import PubMetrics
from racetrack.pub.proxy import JobProxy
from racetrack.pub.routing import JOB_ROUTE_KINDS, JobCall, request_path, split_route
from racetrack.pub.settings import PubSettings
from racetrack.pub.upstream import UpstreamPool

_Handler = Callable[[Scope, Receive, Send], Awaitable[None]]
_SKIP_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
KEEPALIVE_SECONDS = 3.0
"""Idle pooled connections are closed after this, below uvicorn's default 5 s keep-alive, so
PUB never sends a request on a connection the job is just closing."""


class PubApp:
    """The job gateway. Build it with :func:`create_app`."""

    def __init__(self, settings: PubSettings, authorizer: JobAuthorizer | None = None) -> None:
        self.settings = settings
        self.metrics = PubMetrics()
        self.cache: TtlLruCache[AccessDecision] = TtlLruCache(
            ttl_positive=settings.cache_ttl_positive,
            ttl_negative=settings.cache_ttl_negative,
            stale_if_error=settings.cache_stale_if_error,
            max_entries=settings.cache_max_entries,
        )
        self._custom_authorizer = authorizer
        self.gate = AccessGate(authorizer or _NotStarted(), self.cache, self.metrics)
        self.proxy = JobProxy(settings, self.gate, self.metrics)
        self.session: aiohttp.ClientSession | None = None
        self._start_lock: asyncio.Lock | None = None
        self._service_name = settings.service_name
        # first path segment → handler; async calls (§10) and remote mode (§12) would add theirs here
        self._handlers: dict[str, _Handler] = {
            "health": self._health,
            "live": self._live,
            "ready": self._ready,
            "metrics": self._metrics,
            "last-calls": self._last_calls,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = request_path(scope["path"], scope.get("raw_path"), scope.get("root_path", ""))
            route, remainder = split_route(path, self._service_name)
            if route in JOB_ROUTE_KINDS:
                if self.session is None:
                    await self.startup()
                try:
                    await self.proxy.handle(scope, receive, send, remainder)
                except Exception:
                    await self._panic(scope, send)
                return
            handler = self._handlers.get(route)
            if handler is None or remainder not in ("", "/"):
                await send_json(send, 404, {"error": f"Not found: {scope['path']}"})
                return
            await handler(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)

    async def startup(self) -> None:
        """Open the shared HTTP session (idempotent)."""
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self.session is not None:
                return
            connector = aiohttp.TCPConnector(
                limit=0,
                limit_per_host=self.settings.max_connections_per_host,
                keepalive_timeout=KEEPALIVE_SECONDS,
                ttl_dns_cache=10,
            )
            self.session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # never carry one caller's cookies to another
                auto_decompress=False,
                skip_auto_headers=_SKIP_AUTO_HEADERS,
                trust_env=False,
            )
            if self._custom_authorizer is None:
                self.gate.authorizer = LifecycleAuthorizer(
                    self.session,
                    lifecycle_url=self.settings.lifecycle_url,
                    timeout=self.settings.lifecycle_timeout,
                    tracing_header=self.settings.request_tracing_header,
                    metrics=self.metrics,
                )
            self.proxy.session = self.session
            if self.settings.upstream_client == "native":
                self.proxy.upstream = UpstreamPool(
                    connect_timeout=self.settings.job_connect_timeout,
                    read_timeout=self.settings.job_request_timeout,
                    max_per_host=self.settings.max_connections_per_host,
                    keepalive=KEEPALIVE_SECONDS,
                    scheme=self.settings.forward_to_protocol,
                )
            if not self.settings.auth_required:
                logger.warning("AUTH_REQUIRED is false: it is only reported in /health; Lifecycle decides")
            logger.info(
                "PUB started",
                lifecycleUrl=self.settings.lifecycle_url,
                upstreamClient=self.settings.upstream_client,
            )

    async def shutdown(self) -> None:
        """Close the shared HTTP session."""
        session, self.session = self.session, None
        self.proxy.session = None
        upstream, self.proxy.upstream = self.proxy.upstream, None
        if upstream is not None:
            await upstream.close()
        if session is not None:
            await session.close()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as e:  # report instead of crashing the server's lifespan task
                    await send({"type": "lifespan.startup.failed", "message": str(e)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _panic(self, scope: Scope, send: Send) -> None:
        """Count and log an unexpected failure; answer 500 if the response has not started."""
        self.metrics.panic_errors.inc()
        logger.exception("Unexpected failure of a job call", path=scope["path"])
        try:
            await send_json(send, 500, {"error": "Proxy request error: unexpected failure of the gateway"})
        except Exception:  # the response had started: the server ends the connection
            pass

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Websocket pass-through (spec §11) is not implemented yet: refuse the handshake.
        await receive()
        await send({"type": "websocket.close", "code": 1003})

    async def _health(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.metrics.health_requests.inc()
        payload = {
            "service": "pub",
            "version": self.settings.git_version,
            "status": "pass",
            "auth_required": self.settings.auth_required,
        }
        await send_json(send, 200, payload)

    async def _live(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, {"live": True})

    async def _ready(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, {"ready": True})

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = generate_latest(self.metrics.registry)
        await send_bytes(send, 200, body, [(b"content-type", CONTENT_TYPE_LATEST.encode())])

    async def _last_calls(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, {"last_calls": self.metrics.last_calls.as_list()})


class _NotStarted:
    """Placeholder authorizer until the app's session exists."""

    async def authorize(self, call: JobCall, token: str | None, request_id: str) -> AccessDecision:
        raise RuntimeError("PUB is not started: run its ASGI lifespan or call PubApp.startup()")


def create_app(settings: PubSettings, authorizer: JobAuthorizer | None = None) -> PubApp:
    """Build the PUB ASGI app.

    Args:
        settings: the gateway's configuration.
        authorizer: decides about calls; by default Lifecycle over HTTP at ``settings.lifecycle_url``.
    """
    return PubApp(settings, authorizer)
