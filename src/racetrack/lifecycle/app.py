"""The Lifecycle app factory.

``create_app(settings, plugin_engine, internal_token=...)`` builds the FastAPI app: every API
route under ``/lifecycle/api/v1`` and ``/api/v1``, probes and metrics under ``/lifecycle``
and at the root, one error shape (``{"error", "type"}``), access logs without probes. Its
lifespan migrates the database, creates the first admin, starts the plugin engine's targets,
the deployment worker, the status sync loop and the database probe, and stops them again.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from loguru import logger
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from racetrack.core.errors import PayloadTooLargeError, RacetrackError
from racetrack.core.logs import env_flag
from racetrack.lifecycle.api import api_router
from racetrack.lifecycle.metrics import LifecycleMetrics
from racetrack.lifecycle.pipeline import ArtifactBuilder
from racetrack.lifecycle.services.permissions import AccessDenied
from racetrack.lifecycle.settings import LifecycleSettings
from racetrack.lifecycle.state import LifecycleState
from racetrack.plugins.engine import PluginEngine

BASE_PATH = "/lifecycle"
PROBE_PATHS = frozenset(
    p
    for base in ("", BASE_PATH)
    for p in (f"{base}/live", f"{base}/ready", f"{base}/health", f"{base}/metrics")
)
_STATUS_TYPES = {
    400: "InvalidInputError",
    401: "AuthenticationError",
    404: "NotFoundError",
    405: "MethodNotAllowed",
}


def create_app(
    settings: LifecycleSettings,
    plugin_engine: PluginEngine,
    *,
    internal_token: str | None = None,
    artifact_builder: ArtifactBuilder | None = None,
) -> FastAPI:
    """Build the Lifecycle app (nothing runs until its lifespan starts).

    Args:
        settings: the configuration.
        plugin_engine: provides job types and infrastructure targets.
        internal_token: the token Racetrack's own components (PUB) present; it acts as an
            internal subject with full access and is never stored.
        artifact_builder: builds artifacts (default: the local builder of ``racetrack.builder``).
    """
    state = LifecycleState.build(
        settings, plugin_engine, internal_token=internal_token, builder=artifact_builder
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(state.start)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(state.stop)

    app = FastAPI(
        title="Racetrack Lifecycle",
        description="Control plane of Racetrack: deploy jobs, read them, authorise calls to them.",
        version=settings.docker_tag,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{BASE_PATH}/openapi.json",
    )
    app.state.lifecycle = state
    app.include_router(api_router(), prefix=f"{BASE_PATH}/api/v1")
    app.include_router(api_router(), prefix="/api/v1", include_in_schema=False)
    _add_probes(app, state)
    from racetrack.dashboard.app import create_dashboard_app  # the Dashboard builds on this package

    app.mount("/dashboard", create_dashboard_app(state))
    _add_error_handlers(app, settings)
    app.add_middleware(
        # Other origins may call the API with a token header, never with the user's cookie:
        # a page elsewhere must not act (and read answers) as the logged-in Dashboard user.
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    app.add_middleware(RequestMiddleware, settings=settings, metrics=state.metrics)
    return app


SWAGGER_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


def _add_probes(app: FastAPI, state: LifecycleState) -> None:
    settings = state.settings

    def live() -> dict[str, Any]:
        return {"service": "lifecycle", "live": True}

    def ready() -> dict[str, Any]:
        return {"service": "lifecycle", "ready": True}

    def health() -> JSONResponse:
        connected = state.db_probe.connected
        body = {
            "service": "lifecycle",
            "live": True,
            "ready": connected,
            "database_connected": connected,
            "git_version": settings.git_version,
            "docker_tag": settings.docker_tag,
            "auth_required": settings.auth_required,
        }
        return JSONResponse(body, status_code=200 if connected else 500)

    def metrics() -> Response:
        return Response(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    for base in (BASE_PATH, ""):
        app.add_api_route(f"{base}/live", live, methods=["GET"], include_in_schema=False)
        app.add_api_route(f"{base}/ready", ready, methods=["GET"], include_in_schema=False)
        app.add_api_route(f"{base}/health", health, methods=["GET"], include_in_schema=False)
        app.add_api_route(f"{base}/metrics", metrics, methods=["GET"], include_in_schema=False)

    def redirect() -> RedirectResponse:
        return RedirectResponse(f"{BASE_PATH}/", status_code=307)

    def home() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{BASE_PATH}/openapi.json",
            title="Racetrack Lifecycle API",
            swagger_js_url=f"{BASE_PATH}/static/swagger-ui-bundle.js",
            swagger_css_url=f"{BASE_PATH}/static/swagger-ui.css",
            swagger_favicon_url=f"{BASE_PATH}/static/favicon-32x32.png",
        )

    def asset(name: str) -> Response:
        # Swagger UI assets ship with the job runtime; served here too so no page needs a CDN.
        media_type = SWAGGER_ASSETS.get(name)
        if media_type is None:
            return JSONResponse({"error": f"no such file: {name}", "type": "NotFoundError"}, status_code=404)
        content = (resources.files("racetrack_job_runtime") / "assets" / name).read_bytes()
        return Response(content, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    app.add_api_route(BASE_PATH, redirect, methods=["GET"], include_in_schema=False)
    app.add_api_route(f"{BASE_PATH}/", home, methods=["GET"], include_in_schema=False)
    app.add_api_route(f"{BASE_PATH}/static/{{name}}", asset, methods=["GET"], include_in_schema=False)


def compact_traceback(error: BaseException) -> str:
    """``file.py:12 > other.py:34`` for the root cause of ``error``."""
    root = error
    while root.__cause__ is not None or (root.__context__ is not None and not root.__suppress_context__):
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    frames = traceback.extract_tb(root.__traceback__)
    return " > ".join(f"{Path(frame.filename).name}:{frame.lineno}" for frame in frames[-6:])


def _root_type(error: BaseException) -> str:
    while error.__cause__ is not None:
        error = error.__cause__
    return type(error).__name__


def _error_response(
    request: Request, status: int, message: str, error_type: str, error: BaseException
) -> JSONResponse:
    log = logger.error if status >= 500 else logger.warning
    log(  # the text goes in as an argument: loguru would read braces in it as placeholders
        "{} {} failed: {}",
        request.method,
        request.url.path,
        message,
        status=status,
        cause=_root_type(error),
        traceback=compact_traceback(error) or None,
    )
    return JSONResponse({"error": message, "type": error_type}, status_code=status)


def _validation_message(error: RequestValidationError) -> str:
    problems = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ()) if part != "body"]
        where = ".".join(location) or "request body"
        problems.append(f"{where}: {item.get('msg', 'invalid value')}")
    return "invalid request: " + "; ".join(problems)


def _add_error_handlers(app: FastAPI, settings: LifecycleSettings) -> None:
    async def racetrack_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RacetrackError)
        message = exc.message
        if isinstance(exc, AccessDenied) and settings.auth_debug:
            message = f"{message}: {exc.details}"
        return _error_response(request, exc.status_code, message, type(exc).__name__, exc)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _error_response(request, 400, _validation_message(exc), "InvalidInputError", exc)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error_type = _STATUS_TYPES.get(exc.status_code, "HTTPError")
        return _error_response(request, exc.status_code, str(exc.detail), error_type, exc)

    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        return _error_response(request, 500, f"{type(exc).__name__}: {exc}", "RacetrackError", exc)

    app.add_exception_handler(RacetrackError, racetrack_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)


class RequestMiddleware:
    """Access log, request metrics, tracing context and the deploy body size guard."""

    def __init__(self, app: ASGIApp, settings: LifecycleSettings, metrics: LifecycleMetrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        # base64 of the largest context, plus room for the manifest and secrets
        self.max_deploy_body = settings.max_build_context_bytes * 4 // 3 + 4 * 1024 * 1024
        # the caller name goes into plain logs only when asked for (operations.md §4)
        self.log_caller = env_flag("LOG_CALLER_NAME") or env_flag("LOG_STRUCTURED")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        target = f"{path}?{query}" if query else path
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        tracing_id = headers.get(self.settings.request_tracing_header.lower(), "")
        caller_name = headers.get(self.settings.caller_name_header.lower(), "") if self.log_caller else ""
        is_probe = method == "GET" and path.rstrip("/") in PROBE_PATHS
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with logger.contextualize(tracing_id=tracing_id or None, caller_name=caller_name or None):
            if not is_probe:
                logger.debug(f"Request: {method} {target}")
            self.metrics.requests_started.inc()
            try:
                if method == "POST" and path.endswith("/api/v1/deploy") and self._too_big(headers):
                    error = PayloadTooLargeError(
                        f"request body is too big: the limit is {self.max_deploy_body} bytes; "
                        "exclude large files from the build context or deploy from git"
                    )
                    response = JSONResponse(error.to_dict(), status_code=413)
                    await response(scope, receive, send_wrapper)
                else:
                    await self.app(scope, receive, send_wrapper)
            except BaseException as e:
                if isinstance(e, anyio.get_cancelled_exc_class()):
                    logger.info(f"Request cancelled by the client: {method} {path}")
                raise
            finally:
                self.metrics.requests_done.inc()
                self.metrics.request_duration.observe(time.perf_counter() - started)
                if status >= 500:
                    self.metrics.internal_server_errors.inc()
            if not (is_probe and status == 200):
                logger.info(f"{method} {target} {status}")

    def _too_big(self, headers: dict[str, str]) -> bool:
        try:
            return int(headers.get("content-length", "0")) > self.max_deploy_body
        except ValueError:
            return False
