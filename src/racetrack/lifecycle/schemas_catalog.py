"""Response shapes of the catalogue views: job families, the call graph, the portfolio and
the platform overview (lifecycle-api.md §11.2; dashboard.md §6, §7, §10)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from racetrack.lifecycle.schemas import JobDto


class JobFamilyDto(BaseModel):
    id: str
    name: str


class GraphNodeType(StrEnum):
    ESC = "esc"
    JOB_FAMILY = "job-family"


class GraphNode(BaseModel):
    id: str = Field(description="esc-<ESC id> or job-family-<family name>")
    type: GraphNodeType
    title: str
    subtitle: str = Field(description="ESC id, or one line per job of the family with its PUB URL")


class GraphEdge(BaseModel):
    """``from_id`` may call (holds ``call_job`` on) some job of ``to_id``."""

    from_id: str
    to_id: str


class JobGraph(BaseModel):
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class PortfolioJob(JobDto):
    """A job with its removal-candidate assessment (higher ``purge_score``: better candidate)."""

    purge_score: float
    purge_reasons: str = Field(description="newline-joined reasons; empty when none")
    purge_newer_versions: int = Field(description="versions of the family newer than this one")
    update_time_days_ago: float
    last_call_time_days_ago: float | None = Field(description="null when never called")


class PluginCategory(StrEnum):
    JOB_TYPE = "job-type"
    INFRASTRUCTURE = "infrastructure"
    CORE = "core"


class PluginDto(BaseModel):
    name: str
    version: str | None
    category: PluginCategory
    url: str | None
    error: str | None = None  # a plugin bundle that failed to load


class UsageDto(BaseModel):
    """A job type version or infrastructure target and how many jobs use it."""

    name: str
    active_jobs: int


class JobTypePluginDto(BaseModel):
    name: str
    version: str | None
    job_types: list[UsageDto]


class InfrastructurePluginDto(BaseModel):
    name: str
    version: str | None
    infrastructures: list[UsageDto]


class PlatformOverview(BaseModel):
    """What the Administration page shows: plugins, job types and targets with job counts."""

    plugins: list[PluginDto]
    job_type_plugins_data: list[JobTypePluginDto]
    infrastructure_plugins_data: list[InfrastructurePluginDto]
