"""``/job_family``, ``/job/graph``, ``/job/portfolio`` and ``/platform``: read-only overviews.

Registered before the ``jobs`` router, so ``/job/graph`` and ``/job/portfolio`` win over any
``/job/{...}`` pattern matching two segments.
"""

from __future__ import annotations

from fastapi import APIRouter

from racetrack.lifecycle.api.deps import Caller, State
from racetrack.lifecycle.schemas_catalog import JobFamilyDto, JobGraph, PlatformOverview, PortfolioJob
from racetrack.lifecycle.services.catalog import CatalogService
from racetrack.lifecycle.services.platform import PlatformService

router = APIRouter(tags=["jobs"])


def _catalog(state: State) -> CatalogService:
    return CatalogService(state.db, state.settings)


@router.get("/job_family", response_model=list[JobFamilyDto])
def job_families(caller: Caller, state: State) -> list[JobFamilyDto]:
    """Job families the caller may read, by name."""
    return _catalog(state).job_families(caller)


@router.get("/job/graph", response_model=JobGraph)
def job_graph(caller: Caller, state: State) -> JobGraph:
    """Which ESCs and job families may call which families (ESCs shown to staff only)."""
    return _catalog(state).graph(caller)


@router.get("/job/portfolio", response_model=list[PortfolioJob])
def job_portfolio(caller: Caller, state: State) -> list[PortfolioJob]:
    """Visible jobs with purge score and reasons, best removal candidates first."""
    return _catalog(state).portfolio(caller)


@router.get("/platform", response_model=PlatformOverview, tags=["admin"])
def platform(caller: Caller, state: State) -> PlatformOverview:
    """Active plugins, job type versions and infrastructure targets with job counts (staff)."""
    return PlatformService(state.db, state.plugins).overview(caller)
