"""Thin routers: parse the request, call a service, shape the answer."""

from __future__ import annotations

from fastapi import APIRouter

from racetrack.lifecycle.api import admin, audit, auth, catalog, deploy, escs, info, jobs, plugins, users


def api_router() -> APIRouter:
    """Every ``/api/v1`` route (mounted under ``/lifecycle/api/v1`` and ``/api/v1``)."""
    router = APIRouter()
    for module in (deploy, catalog, jobs, users, auth, escs, info, audit, admin, plugins):
        router.include_router(module.router)
    return router
