"""Jobs: listing, reading (with version aliases), deleting, logs, and PUB's one-shot check."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

from loguru import logger
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from racetrack.core.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RacetrackError,
)
from racetrack.core.semver import is_version_alias, resolve_job_version
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import (
    AuthResourcePermission,
    Deployment,
    Job,
    PublicEndpointRequest,
    TrashJob,
    now,
)
from racetrack.lifecycle.schemas import CanCallJobResponse, JobDto, job_dto, timestamp
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.auth import ANONYMOUS, AuthService, Subject
from racetrack.lifecycle.services.maintenance import ensure_not_in_maintenance
from racetrack.lifecycle.services.permissions import Scope, allowed, check, normalise_endpoint, parse_scope
from racetrack.lifecycle.settings import LifecycleSettings
from racetrack.manifest import parse_manifest_yaml
from racetrack.plugins.engine import PluginEngine
from racetrack.plugins.interfaces import InfrastructureTarget, JobRecord, JobStatus

HEALTH_ENDPOINTS = ("/health", "/live", "/ready")
DEPLOYMENT_FRESHNESS = timedelta(seconds=60)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def tail_lines(text: str, tail: int) -> str:
    """The last ``tail`` lines of ``text`` (all of them when ``tail`` is 0 or less)."""
    if tail <= 0:
        return text
    lines = text.splitlines()
    return "\n".join(lines[-tail:]) + ("\n" if text.endswith("\n") and lines else "")


def job_lock_name(name: str, version: str) -> str:
    return f"job:{name}:{version}"


def job_record(job: Job) -> JobRecord:
    """The job as plugins see it."""
    return JobRecord(
        name=job.name,
        version=job.version,
        status=JobStatus(job.status) if job.status in JobStatus._value2member_map_ else JobStatus.ERROR,
        internal_name=job.internal_name,
        replica_internal_names=[name for name in job.replica_internal_names.split(",") if name],
        error=job.error,
        infrastructure_target=job.infrastructure_target,
        image_tag=job.image_tag,
        create_time=timestamp(job.create_time),
        update_time=timestamp(job.update_time),
        last_call_time=timestamp(job.last_call_time),
    )


def find_job(session: Session, name: str, version: str) -> Job:
    """The job ``name`` at ``version``: exact, ``latest`` or a wildcard such as ``1.x``.

    Aliases skip jobs still starting. Raises NotFoundError naming what was asked.
    """
    if not is_version_alias(version):
        job = session.scalars(select(Job).where(Job.name == name, Job.version == version)).first()
        if job is None:
            raise NotFoundError(f"job {name} v{version} was not found")
        return job
    versions = session.scalars(
        select(Job.version).where(Job.name == name, Job.status != JobStatus.STARTING)
    ).all()
    resolved = resolve_job_version(versions, version)
    if resolved is None:
        raise NotFoundError(f"job {name} with version {version} was not found")
    job = session.scalars(select(Job).where(Job.name == name, Job.version == resolved)).first()
    if job is None:  # deleted meanwhile
        raise NotFoundError(f"job {name} v{resolved} was not found")
    return job


def ongoing_deployment(session: Session, name: str, version: str) -> Deployment | None:
    """A deployment of that version still in progress and alive (updated or heartbeat < 60 s ago)."""
    recent = now() - DEPLOYMENT_FRESHNESS
    for deployment in session.scalars(
        select(Deployment).where(
            Deployment.job_name == name,
            Deployment.job_version == version,
            Deployment.status == "in_progress",
        )
    ):
        if max(deployment.update_time, deployment.heartbeat_time or deployment.update_time) > recent:
            return deployment
    return None


def read_build_log(settings: LifecycleSettings, deployment: Deployment) -> str:
    """A deployment's build log: the live file while it exists, else the copy kept in the DB."""
    path = settings.build_logs_dir / f"{deployment.id}.log"
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return deployment.build_logs or ""


class JobService:
    def __init__(
        self, db: Database, settings: LifecycleSettings, plugins: PluginEngine, auth: AuthService
    ) -> None:
        self._db = db
        self._settings = settings
        self._plugins = plugins
        self._auth = auth

    def dto(self, job: Job) -> JobDto:
        return job_dto(job, self._settings.external_pub_url)

    def list_jobs(self, subject: Subject) -> list[JobDto]:
        """Every job the subject may read, newest update first, then by name.

        Refused without any ``read_job`` grant; otherwise filtered to the jobs its grants
        cover (all of them with a global grant, else the granted families and versions).
        """
        check(subject, Scope.READ_JOB)
        with self._db.session(readonly=True) as session:
            jobs = session.scalars(select(Job).order_by(Job.update_time.desc(), Job.name, Job.version)).all()
            return [self.dto(job) for job in jobs if allowed(subject, Scope.READ_JOB, job.name, job.version)]

    def get_job(self, subject: Subject, name: str, version: str) -> JobDto:
        with self._db.session(readonly=True) as session:
            job = find_job(session, name, version)
            check(subject, Scope.READ_JOB, job.name, job.version)
            return self.dto(job)

    def _target(self, name: str | None) -> InfrastructureTarget:
        target = self._plugins.infrastructure_targets().get(name or "")
        if target is None:
            raise RacetrackError(
                f"infrastructure target {name!r} of this job is not installed; "
                f"installed targets: {sorted(self._plugins.infrastructure_targets())}"
            )
        return target

    def delete_job(self, subject: Subject, name: str, version: str) -> None:
        """Remove a job version from its target and the registry; keep a TrashJob record."""
        with self._db.session(readonly=True) as session:
            ensure_not_in_maintenance(session)
            job = session.scalars(select(Job).where(Job.name == name, Job.version == version)).first()
            if job is None:
                raise NotFoundError(f"job {name} v{version} was not found")
            check(subject, Scope.DELETE_JOB, name, version)
            self._refuse_when_deploying(session, name, version)
            record = job_record(job)
            status, target_name = job.status, job.infrastructure_target
        if status != JobStatus.LOST:
            target = self._plugins.infrastructure_targets().get(target_name or "")
            if target is None:
                logger.warning(
                    "infrastructure target of a deleted job is not installed; its workload is left alone",
                    job=name,
                    version=version,
                    target=target_name,
                )
            else:
                try:
                    target.delete_job(name, version)
                except Exception as e:
                    raise RacetrackError(f"deleting job {name} v{version} from {target.name}: {e}") from e
        with self._db.session() as session:
            job = session.scalars(select(Job).where(Job.name == name, Job.version == version)).first()
            if job is None:
                raise NotFoundError(f"job {name} v{version} was not found")
            session.add(
                TrashJob(
                    job_id=job.id,
                    name=job.name,
                    version=job.version,
                    status=job.status,
                    create_time=job.create_time,
                    update_time=job.update_time,
                    manifest_yaml=job.manifest_yaml,
                    internal_name=job.internal_name,
                    error=job.error,
                    image_tag=job.image_tag,
                    deployed_by=job.deployed_by,
                    last_call_time=job.last_call_time,
                    infrastructure_target=job.infrastructure_target,
                    job_type_version=job.job_type_version,
                )
            )
            audit.record(
                session,
                audit.AuditEvent.JOB_DELETED,
                executor=subject.username,
                subject=job.deployed_by,
                job_name=name,
                job_version=version,
            )
            session.execute(delete(AuthResourcePermission).where(AuthResourcePermission.job_id == job.id))
            session.execute(delete(PublicEndpointRequest).where(PublicEndpointRequest.job_id == job.id))
            session.delete(job)
        logger.info("job deleted", job=name, version=version, by=subject.username)
        self._plugins.notify("post_job_delete", job=record, username_executor=subject.username)

    def update_manifest(self, subject: Subject, name: str, version: str, manifest_yaml: str) -> None:
        """Store an edited manifest (validated; name and version must stay) for the next redeploy.

        Raises InvalidInputError (400) naming the field, NotFoundError, MaintenanceModeError.
        """
        with self._db.session() as session:
            ensure_not_in_maintenance(session)
            manifest = parse_manifest_yaml(manifest_yaml)
            job = session.scalars(select(Job).where(Job.name == name, Job.version == version)).first()
            if job is None:
                raise NotFoundError(f"job {name} v{version} was not found")
            check(subject, Scope.DEPLOY_JOB, name, version)
            if (manifest.name, manifest.version) != (name, version):
                raise InvalidInputError(
                    f"the manifest's name and version must stay {name} and {version} "
                    f"(got {manifest.name} and {manifest.version}); deploy a new version instead"
                )
            job.manifest_yaml = manifest_yaml
            job.update_time = now()
        logger.info("job manifest edited", job=name, version=version, by=subject.username)

    @staticmethod
    def _refuse_when_deploying(session: Session, name: str, version: str) -> None:
        if ongoing_deployment(session, name, version) is not None:
            raise ConflictError(
                f"There's already ongoing deployment of job {name} {version}; wait until it finishes"
            )

    def _job_and_target(self, subject: Subject, name: str, version: str) -> tuple[Job, InfrastructureTarget]:
        with self._db.session(readonly=True) as session:
            job = find_job(session, name, version)
            check(subject, Scope.READ_JOB, job.name, job.version)
        return job, self._target(job.infrastructure_target)

    def runtime_logs(self, subject: Subject, name: str, version: str, tail: int) -> str:
        """Recent output of every replica of the job."""
        job, target = self._job_and_target(subject, name, version)
        try:
            return target.read_recent_logs(job.name, job.version, tail=tail)
        except Exception as e:
            raise RacetrackError(f"reading logs of job {job.name} v{job.version}: {e}") from e

    def follow_logs(
        self, subject: Subject, name: str, version: str, tail: int
    ) -> Callable[[Callable[[], bool]], Iterator[str]]:
        """A function streaming the job's log lines until its ``stop()`` argument says so."""
        job, target = self._job_and_target(subject, name, version)
        job_name, job_version = job.name, job.version

        def stream(stop: Callable[[], bool]) -> Iterator[str]:
            return target.follow_logs(job_name, job_version, tail, stop)

        return stream

    def build_logs(self, subject: Subject, name: str, version: str, tail: int) -> str:
        """Build output of the most recent deployment of the job."""
        with self._db.session(readonly=True) as session:
            if is_version_alias(version):
                job = find_job(session, name, version)
                name, version = job.name, job.version
            check(subject, Scope.READ_JOB, name, version)
            deployment = session.scalars(
                select(Deployment)
                .where(Deployment.job_name == name, Deployment.job_version == version)
                .order_by(Deployment.create_time.desc())
                .limit(1)
            ).first()
            if deployment is None:
                raise NotFoundError(f"no deployment of job {name} v{version} was found")
            return tail_lines(read_build_log(self._settings, deployment), tail)

    def can_call_job(self, token: str | None, name: str, version: str, endpoint: str) -> CanCallJobResponse:
        """PUB's question: may this token call this endpoint of this job, and where is it?

        Raises:
            NotFoundError: no such job (version alias resolved), or it is not running.
            AuthenticationError / AccessDenied: the call needs a token with ``call_job``.
        """
        endpoint = normalise_endpoint(endpoint)
        with self._db.session(readonly=True) as session:
            job = find_job(session, name, version)
            if job.status != JobStatus.RUNNING:
                raise NotFoundError(f"job {job.name} v{job.version} is not running (status: {job.status})")
            public = session.scalars(
                select(PublicEndpointRequest.endpoint).where(
                    PublicEndpointRequest.job_id == job.id, PublicEndpointRequest.active.is_(True)
                )
            ).all()
            dto = self.dto(job)
        caller: str | None = None
        if endpoint not in HEALTH_ENDPOINTS and not any(_opens(prefix, endpoint) for prefix in public):
            subject = self._caller(token)
            check(subject, Scope.CALL_JOB, dto.name, dto.version, endpoint)
            caller = subject.description
        target = self._plugins.infrastructure_targets().get(dto.infrastructure_target or "")
        return CanCallJobResponse(
            job=dto,
            caller=caller,
            remote_gateway_url=getattr(target, "remote_gateway_url", None),
            remote_gateway_token=getattr(target, "remote_gateway_token", None),
        )

    def check_allowed(
        self, subject: Subject, name: str, version: str, scope: str, endpoint: str | None = None
    ) -> None:
        """Whether ``subject`` may do ``scope`` on a job (alias resolved), optionally one endpoint.

        A job that does not exist can still be allowed by a grant on all jobs or on its family.

        Raises:
            InvalidInputError: an unknown scope.
            AccessDenied: not allowed.
        """
        wanted = parse_scope(scope)
        with self._db.session(readonly=True) as session:
            try:
                exact: str | None = find_job(session, name, version).version
            except NotFoundError:
                exact = None if is_version_alias(version) else version
        check(subject, wanted, name, exact, normalise_endpoint(endpoint) if endpoint is not None else None)

    def _caller(self, token: str | None) -> Subject:
        if self._settings.auth_required:
            return self._auth.authenticate(token)
        try:
            return self._auth.authenticate(token) if token else ANONYMOUS
        except AuthenticationError:
            return ANONYMOUS


def _opens(public_endpoint: str, endpoint: str) -> bool:
    """Whether an approved public endpoint covers ``endpoint`` (whole path segments only)."""
    prefix = normalise_endpoint(public_endpoint)
    return prefix == "/" or endpoint == prefix or endpoint.startswith(prefix + "/")


def build_log_path(settings: LifecycleSettings, deployment_id: str) -> Path:
    return settings.build_logs_dir / f"{deployment_id}.log"
