"""Request bodies and response shapes of the API (field names as upstream's, so the
published ``racetrack-client`` works unchanged)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from loguru import logger
from pydantic import BaseModel, ConfigDict, Field

from racetrack.lifecycle.db.models import Deployment, Job


def timestamp(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


class GitCredentialsBody(BaseModel):
    username: str
    password: str


class SecretVarsBody(BaseModel):
    build_env: dict[str, str] | None = None
    runtime_env: dict[str, str] | None = None


class DeployBody(BaseModel):
    """``POST /deploy`` (lifecycle-api.md §5). Unknown keys are ignored for newer clients."""

    model_config = ConfigDict(extra="ignore")

    manifest: dict[str, Any]
    git_credentials: GitCredentialsBody | None = None
    secret_vars: SecretVarsBody | None = None
    build_context: str | None = Field(None, description="base64 of a tar.gz of the job directory")
    force: bool = False
    build_flags: list[str] = Field(default_factory=list)


class DeployResponse(BaseModel):
    id: str


class LoginBody(BaseModel):
    username: str
    password: str


class ChangePasswordBody(BaseModel):
    old_password: str
    new_password: str


class UserProfile(BaseModel):
    username: str
    token: str
    is_staff: bool


class LogsResponse(BaseModel):
    logs: str


class JobDto(BaseModel):
    id: str
    name: str
    version: str
    status: str
    create_time: int
    update_time: int
    manifest: dict[str, Any] | None = None
    manifest_yaml: str | None = None
    internal_name: str | None = None
    pub_url: str | None = None
    error: str | None = None
    notice: str | None = None
    image_tag: str | None = None
    deployed_by: str | None = None
    last_call_time: int | None = None
    infrastructure_target: str | None = None
    replica_internal_names: list[str] = Field(default_factory=list)
    job_type_version: str | None = None
    infrastructure_stats: dict[str, Any] = Field(default_factory=dict)


class ManifestBody(BaseModel):
    manifest_yaml: str


class MoveBody(BaseModel):
    infrastructure_target: str


class DeploymentDto(BaseModel):
    id: str
    status: str
    create_time: int
    update_time: int
    manifest_yaml: str | None = None
    job_name: str
    job_version: str
    error: str | None = None
    job: JobDto | None = None
    deployed_by: str | None = None
    phase: str | None = None
    image_name: str | None = None
    infrastructure_target: str | None = None
    warnings: str | None = None
    duration: float | None = None
    """Seconds from creation to the end (done or failed); null while in progress."""
    kind: str = "deploy"
    """deploy, redeploy (rebuilt from the stored manifest) or reprovision (same artifact)."""


class CanCallJobResponse(BaseModel):
    job: JobDto
    caller: str | None
    remote_gateway_url: str | None
    remote_gateway_token: str | None


class InfoResponse(BaseModel):
    service: str
    git_version: str
    docker_tag: str
    auth_required: bool
    external_pub_url: str
    lifecycle_url: str
    grafana_url: str | None
    maintenance_mode: bool | None = None
    """Whether deploys and other changes are refused now; null when the database is unreachable."""


@lru_cache(maxsize=4096)
def _parse_manifest(manifest_yaml: str) -> str | None:
    from racetrack.manifest import parse_manifest_yaml

    try:
        return json.dumps(parse_manifest_yaml(manifest_yaml).to_dict())
    except Exception as e:
        logger.debug("stored manifest no longer parses", error=str(e))
        return None


def parsed_manifest(manifest_yaml: str | None) -> dict[str, Any] | None:
    """The stored YAML as the Manifest's dict, or None when it no longer parses."""
    if not manifest_yaml:
        return None
    parsed = _parse_manifest(manifest_yaml)
    return None if parsed is None else json.loads(parsed)


def job_dto(job: Job, external_pub_url: str) -> JobDto:
    return JobDto(
        id=job.id,
        name=job.name,
        version=job.version,
        status=job.status,
        create_time=timestamp(job.create_time) or 0,
        update_time=timestamp(job.update_time) or 0,
        manifest=parsed_manifest(job.manifest_yaml),
        manifest_yaml=job.manifest_yaml or None,
        internal_name=job.internal_name,
        pub_url=f"{external_pub_url}/job/{job.name}/{job.version}",
        error=job.error or None,
        notice=job.notice or None,
        image_tag=job.image_tag,
        deployed_by=job.deployed_by,
        last_call_time=timestamp(job.last_call_time),
        infrastructure_target=job.infrastructure_target,
        replica_internal_names=[name for name in job.replica_internal_names.split(",") if name],
        job_type_version=job.job_type_version,
        infrastructure_stats=json.loads(job.infrastructure_stats) if job.infrastructure_stats else {},
    )


def deployment_dto(deployment: Deployment, job: JobDto | None = None) -> DeploymentDto:
    return DeploymentDto(
        id=deployment.id,
        status=deployment.status,
        create_time=timestamp(deployment.create_time) or 0,
        update_time=timestamp(deployment.update_time) or 0,
        manifest_yaml=deployment.manifest_yaml or None,
        job_name=deployment.job_name,
        job_version=deployment.job_version,
        error=deployment.error,
        job=job,
        deployed_by=deployment.deployed_by,
        phase=deployment.phase,
        image_name=deployment.image_name,
        infrastructure_target=deployment.infrastructure_target,
        warnings=deployment.warnings,
        duration=deployment_duration(deployment),
        kind=deployment.kind or "deploy",
    )


def deployment_duration(deployment: Deployment) -> float | None:
    """How long a finished deployment took, in seconds; None while it is in progress."""
    if deployment.status == "in_progress" or deployment.create_time is None or deployment.update_time is None:
        return None
    return round(max((deployment.update_time - deployment.create_time).total_seconds(), 0.0), 3)
