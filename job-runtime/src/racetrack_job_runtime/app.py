"""The job's ASGI application: routing, health, calls, errors, CORS and the access log.

The same routes answer under ``/pub/job/<name>/<version>/``, ``/pub/fatman/<name>/<version>/``
and ``/``. The app starts in the *initialising* phase (only probes and the docs page are
served), then ``set_ready(job)`` or ``set_failed(summary)`` is called once the background
initialisation ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
from time import perf_counter, time
from typing import Any

from racetrack_job_runtime.endpoint import Endpoint, invoke, invoke_inline
from racetrack_job_runtime.errors import (
    ArgumentError,
    JobRuntimeError,
    MethodNotAllowedError,
    NotFoundError,
    NotReadyError,
    PayloadTooLargeError,
    RequestError,
    exception_message,
    flatten_group,
    one_line_traceback,
    root_cause,
)
from racetrack_job_runtime.job import API_PREFIX, NO_PERFORM, PARAMETERS_PATH, PERFORM_PATH, Job
from racetrack_job_runtime.logs import AccessLog
from racetrack_job_runtime.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from racetrack_job_runtime.metrics import JobMetrics
from racetrack_job_runtime.pool import WorkerPool
from racetrack_job_runtime.request import Request, request_context
from racetrack_job_runtime.responses import JSON, error_body, read_body, send_bytes, send_redirect
from racetrack_job_runtime.settings import Settings
from racetrack_job_runtime.static import StaticFile
from racetrack_job_runtime.types import Message, Receive, Scope, Send

logger = logging.getLogger("racetrack_job_runtime")

INITIALIZING, READY, FAILED = "initializing", "ready", "failed"
_PREFIX_KINDS = ("job", "fatman")
_UNLOGGED = frozenset(
    ["/live", "/live/", "/ready", "/ready/", "/health", "/health/", "/metrics", "/metrics/"]
)
_PERFORM_ROUTE = API_PREFIX + PERFORM_PATH
_PARAMETERS_ROUTE = API_PREFIX + PARAMETERS_PATH
_WEBVIEW_ROUTE = API_PREFIX + "/webview"


def _disconnected_flag(receive: Receive) -> Any:
    """The server's connection state object when it exposes ``disconnected`` (uvicorn does)."""
    owner = getattr(receive, "__self__", None)
    return owner if owner is not None and hasattr(owner, "disconnected") else None


class JobApp:
    """ASGI application serving one job."""

    def __init__(self, settings: Settings, metrics: JobMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or JobMetrics()
        self.phase = INITIALIZING
        self.error: str | None = None
        self.job: Job | None = None
        self.home_page = "/docs"
        self._pool: WorkerPool | None = None
        self._tracing_header = settings.tracing_header.lower().encode("latin-1")
        self._caller_header = settings.caller_header.lower().encode("latin-1")
        self._max_body = settings.max_body_bytes
        self._openapi: bytes | None = None
        self._access_log = AccessLog(logger, settings.log_caller_name)
        self._refresh_probes()

    # ---- phases -------------------------------------------------------------------------

    def set_ready(self, job: Job) -> None:
        self.job = job
        self.home_page = job.home_page
        self.phase = READY
        self._openapi = None
        self._refresh_probes()
        logger.info("Server is ready")

    def set_failed(self, summary: str) -> None:
        self.phase = FAILED
        self.error = summary
        self._openapi = None
        self._refresh_probes()

    def _refresh_probes(self) -> None:
        s = self.settings
        live = self.phase != FAILED
        ready = self.phase == READY
        live_body: dict[str, Any] = {"live": live, "deployment_timestamp": s.deployment_timestamp}
        if not live:
            live_body["error"] = self.error
        health = {
            "service": "job",
            "job_name": s.job_name,
            "live": live,
            "ready": ready,
            "status": "pass" if live and ready else "fail",
            "error": self.error,
            "job_version": s.job_version,
            "git_version": s.git_version,
            "deployed_by_racetrack_version": s.deployed_by_racetrack_version,
            "deployment_timestamp": s.deployment_timestamp,
            "job_type_version": s.job_type_version,
        }
        live_probe = (200 if live else 500, json.dumps(live_body).encode())
        ready_probe = (200 if ready else 500, json.dumps({"ready": ready}).encode())
        health_probe = (200 if live and ready else 500, json.dumps(health).encode())
        self._probes = {
            "/live": live_probe,
            "/live/": live_probe,
            "/ready": ready_probe,
            "/ready/": ready_probe,
            "/health": health_probe,
            "/health/": health_probe,
        }

    def pool(self) -> WorkerPool:
        pool = self._pool
        if pool is None:
            pool = self._pool = WorkerPool(asyncio.get_running_loop(), self.settings.threads)
        return pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # ---- ASGI entry -----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            return
        started = perf_counter()
        metrics = self.metrics
        metrics.commons_started += 1
        path: str = scope["path"]
        method: str = scope["method"]
        route = path
        prefix = ""
        if path.startswith("/pub/"):
            parts = path.split("/", 5)
            if len(parts) >= 5 and parts[2] in _PREFIX_KINDS and parts[3] and parts[4]:
                prefix = "/".join(parts[:5])
                if len(parts) == 5:
                    route = ""  # the prefix without a trailing slash
                else:
                    route = "/" + parts[5]

        probe = self._probes.get(route)
        if probe is not None and method == "GET":
            await send_bytes(send, probe[0], probe[1])
            metrics.commons_done += 1
            metrics.commons_duration.observe(perf_counter() - started)
            return

        tracing = caller = origin = None
        declared: int | None = None
        for name, value in scope["headers"]:
            if name == self._tracing_header:
                tracing = _header_text(value)
            elif name == self._caller_header:
                caller = _header_text(value)
            elif name == b"origin":
                origin = value
            elif name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if origin is not None:
            if method == "OPTIONS" and any(
                n == b"access-control-request-method" for n, _ in scope["headers"]
            ):
                await self._preflight(scope, send, origin)
                metrics.commons_done += 1
                metrics.commons_duration.observe(perf_counter() - started)
                return
            send = self._cors_send(send, origin)

        log_request = route not in _UNLOGGED or method != "GET"
        if log_request and logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "Request: %s %s", method, _uri(scope), extra=_log_extra(tracing, caller, self.settings)
            )
        status = 500
        try:
            status = await self._dispatch(
                scope, receive, send, method, route, prefix, tracing, caller, declared
            )
        except Exception as e:
            status = await self._send_error(send, e, scope, tracing, caller)
        metrics.commons_done += 1
        metrics.commons_duration.observe(perf_counter() - started)
        if status == 500:
            metrics.commons_internal_server_errors += 1
        if log_request:
            self._access_log.write(method, _uri(scope), status, tracing, caller)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # ---- routing --------------------------------------------------------------------------

    async def _dispatch(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        method: str,
        route: str,
        prefix: str,
        tracing: str | None,
        caller: str | None,
        declared: int | None,
    ) -> int:
        if route.startswith(API_PREFIX):
            job = self._ready_job()
            if route.startswith(_WEBVIEW_ROUTE) and (
                len(route) == len(_WEBVIEW_ROUTE) or route[len(_WEBVIEW_ROUTE)] == "/"
            ):
                if declared is not None and declared > self._max_body:
                    raise PayloadTooLargeError(
                        f"request body of {declared} bytes exceeds the limit of {self._max_body} bytes"
                    )
                return await self._webview(job, scope, receive, send, method, route, prefix, tracing, caller)
            if method == "POST":
                endpoint = job.post.get(route) or job.post.get(route.rstrip("/"))
                if endpoint is not None:
                    return await self._call(endpoint, scope, receive, send, tracing, caller, declared)
            elif method in ("GET", "HEAD"):
                target = job.get.get(route)
                if target is None:
                    target = job.get.get(route.rstrip("/"))
                if target is not None:
                    return await self._get(target, send, method)
            normalized = route.rstrip("/")
            if job.perform is None and normalized in (_PERFORM_ROUTE, _PARAMETERS_ROUTE):
                raise RequestError(NO_PERFORM)
            if normalized in job.post or normalized in job.get:
                allowed = "POST" if normalized in job.post else "GET"
                raise MethodNotAllowedError(
                    f"method {method} not allowed for {route}, use {allowed}", allowed
                )
            raise NotFoundError(f"path not found: {method} {scope['path']}")
        if route == "":
            query = scope.get("query_string", b"").decode("latin-1")
            await send_redirect(send, scope["path"] + "/" + (f"?{query}" if query else ""), 307)
            return 307
        if route == "/":
            await send_redirect(send, self.settings.base_path + self.home_page)
            return 302
        if method not in ("GET", "HEAD"):
            raise NotFoundError(f"path not found: {method} {scope['path']}")
        if route in ("/metrics", "/metrics/"):
            return await self._metrics(send)
        if route in ("/docs", "/docs/"):
            from racetrack_job_runtime.docs_page import docs_html

            await send_bytes(send, 200, docs_html(self.settings, prefix), b"text/html; charset=utf-8")
            return 200
        if route == "/openapi.json":
            if self._openapi is None:
                from racetrack_job_runtime.openapi import openapi_document

                self._openapi = json.dumps(openapi_document(self.settings, self.job)).encode()
            await send_bytes(send, 200, self._openapi)
            return 200
        if route.startswith("/docs/assets/"):
            from racetrack_job_runtime.docs_page import asset

            found = asset(route[len("/docs/assets/") :])
            if found is not None:
                body = await self.pool().submit(found[0].read_bytes)
                await send_bytes(send, 200, body, found[1], [(b"cache-control", b"public, max-age=86400")])
                return 200
        raise NotFoundError(f"path not found: {method} {scope['path']}")

    def _ready_job(self) -> Job:
        job = self.job
        if job is None:
            if self.phase == FAILED:
                raise NotReadyError(f"job initialization failed: {self.error}")
            raise NotReadyError("job is still initializing, try again later")
        return job

    # ---- handlers -------------------------------------------------------------------------

    async def _call(
        self,
        endpoint: Endpoint,
        scope: Scope,
        receive: Receive,
        send: Send,
        tracing: str | None,
        caller: str | None,
        declared: int | None,
    ) -> int:
        body = await read_body(receive, self._max_body, declared)
        if body:
            try:
                kwargs = json.loads(body)
            except ValueError as e:
                raise RequestError(f"invalid JSON payload: {e}") from None
            if type(kwargs) is not dict:
                raise RequestError(f"payload must be a JSON object, got {_json_type(kwargs)}")
        else:
            kwargs = {}
        metrics = self.metrics
        endpoint_metrics = endpoint.metrics
        metrics.requests_started += 1
        endpoint_metrics.started += 1
        metrics.last_call_timestamp = time()
        request = Request(scope, tracing, caller)
        request_context.set(request)
        started = perf_counter()
        try:
            problem = endpoint.argument_error(kwargs)
            if problem is not None:
                raise ArgumentError(problem)
            if endpoint.inline:
                result, elapsed = invoke_inline(endpoint.func, kwargs, request)
            else:
                watcher = _disconnected_flag(receive)
                result, elapsed = await self.pool().submit(invoke, endpoint.func, kwargs, request)
                if watcher is not None and watcher.disconnected:
                    status = self._cancelled(scope, endpoint, started)
                    await send_bytes(send, status, b"")  # a no-op on a closed connection
                    return status
            endpoint.record_duration(elapsed)
        except asyncio.CancelledError:  # the server is shutting down
            self.metrics.requests_done += 1
            logger.warning("Request cancelled before it finished: %s %s", scope["method"], _uri(scope))
            raise
        except BaseException as e:
            endpoint_metrics.errors += 1
            metrics.requests_done += 1
            endpoint_metrics.duration.observe(perf_counter() - started)
            return await self._send_error(send, e, scope, tracing, caller, endpoint.path)
        endpoint_metrics.duration.observe(perf_counter() - started)
        metrics.requests_done += 1
        await send_bytes(send, 200, result)
        return 200

    def _cancelled(self, scope: Scope, endpoint: Endpoint, started: float) -> int:
        self.metrics.requests_done += 1
        endpoint.metrics.duration.observe(perf_counter() - started)
        logger.warning("Request cancelled by the client: %s %s", scope["method"], _uri(scope))
        return 204

    async def _get(self, target: bytes | StaticFile, send: Send, method: str) -> int:
        if isinstance(target, bytes):
            await send_bytes(send, 200, target)
            return 200
        body = await self.pool().submit(target.read)  # HEAD: the server drops the body
        await send_bytes(send, 200, body, target.mimetype.encode("latin-1"))
        return 200

    async def _webview(
        self,
        job: Job,
        scope: Scope,
        receive: Receive,
        send: Send,
        method: str,
        route: str,
        prefix: str,
        tracing: str | None,
        caller: str | None,
    ) -> int:
        webview = job.webview
        if webview is None:
            raise NotFoundError("this job has no webview")
        rest = route[len(_WEBVIEW_ROUTE) :] or "/"
        static = webview.static_file(method, rest)
        if static is not None:
            body = await self.pool().submit(_read_file, static[0])
            await send_bytes(send, 200, body, static[1].encode("latin-1"))
            return 200
        status = [500]

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        request = Request(scope, tracing, caller)
        request_context.set(request)
        await webview.serve(scope, receive, recording_send, rest, prefix, self.pool(), request)
        return status[0]

    async def _metrics(self, send: Send) -> int:
        job = self.job
        source = job.metrics_source if job is not None else None
        text = await self.pool().submit(self._render_metrics, source)
        await send_bytes(send, 200, text.encode("utf-8"), METRICS_CONTENT_TYPE.encode())
        return 200

    def _render_metrics(self, source: Any) -> str:
        custom = None
        if source is not None:
            try:
                custom = source()
                if custom is not None and not isinstance(custom, list):
                    raise TypeError(f"metrics() must return a list of dicts, got {type(custom).__name__}")
            except Exception as e:
                custom = None
                logger.error(
                    "collecting custom metrics failed: %s",
                    exception_message(e),
                    extra={"cause": type(root_cause(e)).__name__, "traceback": one_line_traceback(e)},
                )
        return self.metrics.render(custom)

    # ---- errors and CORS ------------------------------------------------------------------

    async def _send_error(
        self,
        send: Send,
        exc: BaseException,
        scope: Scope,
        tracing: str | None,
        caller: str | None,
        endpoint: str | None = None,
    ) -> int:
        status, message, type_name = error_details(exc)
        if endpoint is not None or status == 500:
            extra = _log_extra(tracing, caller, self.settings) or {}
            extra.update(cause=type(root_cause(exc)).__name__, traceback=one_line_traceback(exc))
            where = f"calling {endpoint}" if endpoint else f"handling {scope['method']} {scope['path']}"
            logger.error("%s failed: %s", where, message, extra=extra)
        headers = None
        if isinstance(exc, MethodNotAllowedError):
            headers = [(b"allow", exc.allow.encode())]
        try:
            await send_bytes(send, status, error_body(message, type_name), JSON, headers)
        except RuntimeError:
            pass  # the response had already started
        return status

    async def _preflight(self, scope: Scope, send: Send, origin: bytes) -> None:
        headers = dict(scope["headers"])
        await send_bytes(
            send,
            200,
            b"OK",
            b"text/plain; charset=utf-8",
            [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-credentials", b"true"),
                (
                    b"access-control-allow-methods",
                    b"DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
                ),
                (b"access-control-allow-headers", headers.get(b"access-control-request-headers", b"*")),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
            ],
        )

    @staticmethod
    def _cors_send(send: Send, origin: bytes) -> Send:
        async def cors_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", origin),
                    (b"access-control-allow-credentials", b"true"),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        return cors_send


def error_details(exc: BaseException) -> tuple[int, str, str]:
    """``(status, message, type)`` of an exception, exception groups unpacked."""
    leaves = flatten_group(exc)
    if len(leaves) > 1:
        message = "; ".join(exception_message(leaf) for leaf in leaves)
        return 500, message, ", ".join(type(leaf).__name__ for leaf in leaves)
    exc = leaves[0]
    if isinstance(exc, ArgumentError):
        return exc.status, f"failed to call a function: {exc}", exc.type_name
    if isinstance(exc, JobRuntimeError):
        return exc.status, exception_message(exc), exc.type_name
    if isinstance(exc, ValueError):
        return 400, exception_message(exc), type(exc).__name__
    return 500, exception_message(exc), type(exc).__name__


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _uri(scope: Scope) -> str:
    query: bytes = scope.get("query_string", b"")
    path: str = scope["path"]
    return path + ("?" + query.decode("latin-1") if query else "")


def _log_extra(tracing: str | None, caller: str | None, settings: Settings) -> dict[str, Any] | None:
    if tracing is None and (caller is None or not settings.log_caller_name):
        return None
    extra: dict[str, Any] = {}
    if tracing is not None:
        extra["tracing_id"] = tracing
    if caller is not None and settings.log_caller_name:
        extra["caller_name"] = caller
    return extra


def _header_text(value: bytes) -> str:
    """A header value as text: UTF-8 when it decodes as such (names in caller headers), else latin-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _read_file(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()
