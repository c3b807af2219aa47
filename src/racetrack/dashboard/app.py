"""The Dashboard's ASGI app, mounted at ``/dashboard`` by Lifecycle or served on its own.

``create_dashboard_app(state)`` builds the app on an existing LifecycleState (the one the
Lifecycle app uses, so pages call the very same services). ``create_standalone_app`` builds a
state of its own for ``racetrack serve dashboard``: it reads the database Lifecycle owns (no
migrations, no deployment worker, no status sync) and checks the database in the background.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from racetrack.dashboard import (
    activity,
    admin_panel,
    admin_plugins,
    administration,
    auth_pages,
    deployments_pages,
    docs_pages,
    graph,
    jobs_pages,
    portfolio,
    profile,
    streams,
)
from racetrack.dashboard.errors import add_error_handlers
from racetrack.dashboard.headers import SecurityHeaders
from racetrack.dashboard.session import BASE
from racetrack.lifecycle.settings import LifecycleSettings
from racetrack.lifecycle.state import LifecycleState
from racetrack.plugins.engine import PluginEngine

PAGE_ROUTERS: tuple[APIRouter, ...] = (
    auth_pages.router,
    profile.router,
    docs_pages.router,
    jobs_pages.router,
    deployments_pages.router,
    streams.router,
    administration.router,
    admin_panel.router,
    admin_plugins.router,
    activity.router,
    portfolio.router,
    graph.router,
)


def create_dashboard_app(state: LifecycleState, routers: tuple[APIRouter, ...] = PAGE_ROUTERS) -> FastAPI:
    """The Dashboard's pages on ``state``, to be mounted at ``/dashboard``."""
    app = FastAPI(title="Racetrack Dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.lifecycle = state
    static_dir = resources.files("racetrack.dashboard") / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    for router in routers:
        app.include_router(router)
    add_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    return app


def create_standalone_app(settings: LifecycleSettings, plugins: PluginEngine) -> FastAPI:
    """``racetrack serve dashboard``: the Dashboard alone, on Lifecycle's database."""
    state = LifecycleState.build(settings, plugins)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(state.db_probe.start)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(state.db_probe.stop)
            await anyio.to_thread.run_sync(state.changes.close)
            state.db.dispose()

    app = FastAPI(
        title="Racetrack Dashboard", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )

    def home() -> RedirectResponse:
        return RedirectResponse(f"{BASE}/", status_code=307)

    def live() -> dict[str, object]:
        return {"service": "dashboard", "live": True}

    def ready() -> dict[str, object]:
        return {"service": "dashboard", "ready": True}

    app.add_api_route("/", home, methods=["GET"], include_in_schema=False)
    app.add_api_route("/live", live, methods=["GET"], include_in_schema=False)
    app.add_api_route("/ready", ready, methods=["GET"], include_in_schema=False)
    app.add_api_route("/health", ready, methods=["GET"], include_in_schema=False)
    app.mount(BASE, create_dashboard_app(state))
    return app
