"""Deployments: accepting a deploy request (every check that needs no build) and reading them.

The request is fully checked before anything is built: manifest (400 naming the field), build
context (413 when too big, 400 when unsafe), infrastructure target and job type, maintenance
mode, permissions, the one-deployment-per-name+version rule and overwrite protection. Then a
Deployment row owned by this process is written and the worker is woken.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from racetrack.builder import ContextLimits, check_build_context
from racetrack.core.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import Deployment, Job, JobFamily, TrashJob
from racetrack.lifecycle.metrics import LifecycleMetrics
from racetrack.lifecycle.schemas import DeployBody, DeploymentDto, deployment_dto, job_dto
from racetrack.lifecycle.services.auth import Subject
from racetrack.lifecycle.services.crypto import Cipher
from racetrack.lifecycle.services.jobs import find_job, job_lock_name, ongoing_deployment
from racetrack.lifecycle.services.maintenance import ensure_not_in_maintenance
from racetrack.lifecycle.services.permissions import Scope, check
from racetrack.lifecycle.settings import LifecycleSettings
from racetrack.manifest import parse_manifest
from racetrack.plugins.engine import PluginEngine


class DeploymentStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"


class DeploymentKind(StrEnum):
    DEPLOY = "deploy"
    REDEPLOY = "redeploy"  # rebuild from the stored manifest and source, secrets from the target
    REPROVISION = "reprovision"  # provision the running artifact again, secrets from the target
    MOVE = "move"  # provision on another target (same artifact when it fits), then remove the old


def decode_build_context(encoded: str | None, max_bytes: int) -> bytes | None:
    """The uploaded tar.gz, checked for size and safe member paths before anything is written."""
    if not encoded:
        return None
    if len(encoded) * 3 // 4 > max_bytes + 3:
        raise PayloadTooLargeError(_too_big(len(encoded) * 3 // 4, max_bytes))
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as e:
        raise InvalidInputError(f"build_context is not valid base64: {e}") from e
    if len(data) > max_bytes:
        raise PayloadTooLargeError(_too_big(len(data), max_bytes))
    check_build_context(data, ContextLimits(max_bytes=max(max_bytes * 8, ContextLimits().max_bytes)))
    return data


def _too_big(size: int, limit: int) -> str:
    return (
        f"build context is too big: {size} bytes compressed, the limit is {limit} bytes; "
        "exclude large files with .gitignore or deploy from git (--build-context git)"
    )


def secrets_payload(body: DeployBody) -> dict[str, object]:
    secret_vars = body.secret_vars
    return {
        "git_credentials": body.git_credentials.model_dump() if body.git_credentials else None,
        "secret_build_env": (secret_vars.build_env if secret_vars else None) or {},
        "secret_runtime_env": (secret_vars.runtime_env if secret_vars else None) or {},
        "build_flags": body.build_flags,
    }


class DeploymentService:
    def __init__(
        self,
        db: Database,
        settings: LifecycleSettings,
        plugins: PluginEngine,
        cipher: Cipher,
        metrics: LifecycleMetrics,
        instance_id: str,
        wake_worker: Callable[[], None],
    ) -> None:
        self._db = db
        self._settings = settings
        self._plugins = plugins
        self._cipher = cipher
        self._metrics = metrics
        self._instance_id = instance_id
        self._wake_worker = wake_worker

    def create(self, subject: Subject, body: DeployBody) -> str:
        """Check a deploy request and queue it; returns the deployment id.

        Raises:
            InvalidInputError (400), PayloadTooLargeError (413), MaintenanceModeError (503),
            ConflictError (409, a deployment of that version is running), AlreadyExistsError
            (409, overwrite protection), AccessDenied (401).
        """
        self._metrics.requested_job_deployments.inc()
        manifest = parse_manifest(body.manifest)
        build_context = decode_build_context(body.build_context, self._settings.max_build_context_bytes)
        target = self._plugins.choose_target(
            manifest.infrastructure_target, self._settings.infrastructure_target
        )
        self._plugins.validate_manifest(self._plugins.resolve_job_type(manifest.jobtype), manifest)
        name, version = manifest.name, manifest.version
        secrets = self._cipher.encrypt_text(json.dumps(secrets_payload(body)))
        with self._db.session() as session:
            ensure_not_in_maintenance(session)
            self._db.lock(session, job_lock_name(name, version))
            family_exists = session.scalar(select(exists().where(JobFamily.name == name)))
            if family_exists:
                check(subject, Scope.DEPLOY_JOB, name, version)
            else:
                check(subject, Scope.DEPLOY_NEW_FAMILY)
            self._refuse_concurrent(session, name, version)
            if not (body.force or self._settings.allow_job_overwrite):
                self._protect_overwrite(session, name, version)
            deployment = Deployment(
                status=DeploymentStatus.IN_PROGRESS,
                manifest_yaml=manifest.to_yaml(),
                job_name=name,
                job_version=version,
                deployed_by=subject.username,
                infrastructure_target=target.name,
                force=body.force,
                owner=self._instance_id,
                subject_id=subject.subject_id,
                secrets_encrypted=secrets,
                build_context=build_context,
            )
            session.add(deployment)
            session.flush()
            deployment_id = deployment.id
        self._wake_worker()
        return deployment_id

    def redeploy(self, subject: Subject, name: str, version: str, kind: DeploymentKind) -> str:
        """Queue a redeploy or reprovision of a deployed job; returns the deployment id.

        Uses the stored manifest (with any edits) and the job's current target; the secrets
        come back from the target when the pipeline runs, so the caller needs only
        ``deploy_job`` on the job, not the secrets. Grants nothing new.

        Raises:
            NotFoundError (404), MaintenanceModeError (503), ConflictError (409),
            AccessDenied (401).
        """
        if kind not in (DeploymentKind.REDEPLOY, DeploymentKind.REPROVISION):
            raise ValueError(f"a redeploy is either a redeploy or a reprovision, not a {kind}")
        return self._queue_for_job(subject, name, version, kind, target_name=None)

    def move(self, subject: Subject, name: str, version: str, target_name: str) -> str:
        """Queue moving a job to another infrastructure target; returns the deployment id.

        The job keeps serving from its current target until the new instances pass their
        health checks; then the old ones are removed there.

        Raises:
            NotFoundError (404), InvalidInputError (400: unknown target or the current one),
            MaintenanceModeError (503), ConflictError (409), AccessDenied (401).
        """
        targets = self._plugins.infrastructure_targets()
        if target_name not in targets:
            raise InvalidInputError(
                f"infrastructure target {target_name!r} is not installed; "
                f"installed targets: {sorted(targets)}"
            )
        return self._queue_for_job(subject, name, version, DeploymentKind.MOVE, target_name=target_name)

    def _queue_for_job(
        self, subject: Subject, name: str, version: str, kind: DeploymentKind, target_name: str | None
    ) -> str:
        """A deployment of a deployed job (alias resolved) from its stored manifest and source."""
        with self._db.session() as session:
            ensure_not_in_maintenance(session)
            job = find_job(session, name, version)
            name, version = job.name, job.version
            check(subject, Scope.DEPLOY_JOB, name, version)
            if target_name is not None and job.infrastructure_target == target_name:
                raise InvalidInputError(f"job {name} v{version} already runs on {target_name}")
            self._db.lock(session, job_lock_name(name, version))
            self._refuse_concurrent(session, name, version)
            source = session.get(Deployment, job.deployment_id) if job.deployment_id else None
            deployment = Deployment(
                status=DeploymentStatus.IN_PROGRESS,
                kind=kind,
                manifest_yaml=job.manifest_yaml,
                job_name=name,
                job_version=version,
                deployed_by=subject.username,
                infrastructure_target=target_name or job.infrastructure_target,
                force=True,
                owner=self._instance_id,
                subject_id=subject.subject_id,
                build_context=source.build_context if source is not None else None,
            )
            session.add(deployment)
            session.flush()
            deployment_id = deployment.id
        self._wake_worker()
        return deployment_id

    def wait(self, deployment_id: str, timeout: float, poll_interval: float = 0.2) -> DeploymentDto:
        """Block until the deployment is done or failed (or ``timeout`` passes); its final state."""
        deadline = time.monotonic() + timeout
        while True:
            with self._db.session(readonly=True) as session:
                deployment = session.get(Deployment, deployment_id)
                if deployment is None:
                    raise NotFoundError(f"deployment {deployment_id} was not found")
                if deployment.status != DeploymentStatus.IN_PROGRESS or time.monotonic() >= deadline:
                    return deployment_dto(deployment)
            time.sleep(poll_interval)

    @staticmethod
    def _refuse_concurrent(session: Session, name: str, version: str) -> None:
        ongoing = ongoing_deployment(session, name, version)
        if ongoing is not None:
            alive = max(ongoing.update_time, ongoing.heartbeat_time or ongoing.update_time)
            raise ConflictError(
                f"There's already ongoing deployment of job {name} {version}, "
                f"recently updated at {alive.strftime('%Y-%m-%d %H:%M:%S')} UTC"
            )

    @staticmethod
    def _protect_overwrite(session: Session, name: str, version: str) -> None:
        if session.scalar(select(exists().where(Job.name == name, Job.version == version))):
            raise AlreadyExistsError(
                f"job {name} v{version} is already deployed. Try deploying next version or use --force flag"
            )
        if session.scalar(select(exists().where(TrashJob.name == name, TrashJob.version == version))):
            raise AlreadyExistsError(
                f"job {name} v{version} has already been deployed and deleted. "
                "Can't claim it again to prevent accidental/hostile reusing. "
                "Deploy next version or use --force flag"
            )

    def get(self, subject: Subject, deployment_id: str) -> DeploymentDto:
        with self._db.session(readonly=True) as session:
            deployment = session.get(Deployment, deployment_id)
            if deployment is None:
                raise NotFoundError(f"deployment {deployment_id} was not found")
            job = None
            if deployment.status == DeploymentStatus.DONE:
                row = session.scalars(
                    select(Job).where(Job.name == deployment.job_name, Job.version == deployment.job_version)
                ).first()
                job = job_dto(row, self._settings.external_pub_url) if row is not None else None
            return deployment_dto(deployment, job)

    def list(self, subject: Subject, limit: int) -> list[DeploymentDto]:
        with self._db.session(readonly=True) as session:
            rows = session.scalars(
                select(Deployment).order_by(Deployment.update_time.desc()).limit(max(1, min(limit, 1000)))
            ).all()
            return [deployment_dto(row) for row in rows]
