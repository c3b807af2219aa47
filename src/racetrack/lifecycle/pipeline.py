"""The steps of one deployment, run by the worker in a thread.

Phases, in order (lifecycle-api.md §4, cli.md §5): "fetching the source code", "building
image", "creating cluster resources", "starting Job server", "initializing Job entrypoint",
"post-deploy hooks". New instances start beside the running ones of that version
(``deploy_job``); they are promoted only after their health checks pass, otherwise abandoned,
so a failed redeploy leaves the running version serving.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from loguru import logger
from sqlalchemy import select, update

from racetrack.builder import BuildLog, build_local_artifact, prepare_workspace, remove_workspace
from racetrack.core.errors import DeploymentError, NotFoundError, RacetrackError, with_context
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import (
    AuthResourcePermission,
    AuthSubject,
    Deployment,
    Job,
    JobFamily,
    PublicEndpointRequest,
    now,
)
from racetrack.lifecycle.health import DeploymentCancelled, HealthCheck
from racetrack.lifecycle.metrics import LifecycleMetrics
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.auth import AuthService, SubjectKind
from racetrack.lifecycle.services.crypto import Cipher
from racetrack.lifecycle.services.deployments import DeploymentKind, DeploymentStatus
from racetrack.lifecycle.services.jobs import build_log_path, job_record
from racetrack.lifecycle.services.maintenance import ensure_not_in_maintenance
from racetrack.lifecycle.services.permissions import DEPLOYER_SCOPES, Scope, check
from racetrack.lifecycle.settings import LifecycleSettings
from racetrack.manifest import Manifest, effective_resources, parse_manifest_yaml
from racetrack.plugins.engine import PluginEngine
from racetrack.plugins.interfaces import (
    CURRENT_ARTIFACT,
    DEPLOYMENT_FAILURE_PROBE,
    Artifact,
    ArtifactKind,
    DeployRequest,
    GitCredentials,
    InfrastructureTarget,
    JobRecord,
    JobSecrets,
    JobStatus,
    JobType,
)

# Set by Racetrack in every job; user runtime vars must not use them (manifest.md §7).
RESERVED_ENV_VARS = frozenset(
    {
        "PUB_URL",
        "JOB_NAME",
        "JOB_VERSION",
        "JOB_MANIFEST_YAML",
        "AUTH_TOKEN",
        "JOB_DEPLOYMENT_TIMESTAMP",
        "REQUEST_TRACING_HEADER",
        "CALLER_NAME_HEADER",
        "JOB_USER_MODULE_HOSTNAME",
    }
)
JOB_LOGS_TAIL = 20


@dataclass
class BuildJob:
    """What a builder needs to turn a job's source into an artifact."""

    deployment_id: str
    manifest: Manifest
    manifest_yaml: str
    job_type: JobType
    artifact_kind: ArtifactKind
    build_context: bytes | None
    git_credentials: GitCredentials | None
    build_env: dict[str, str] = field(default_factory=dict)  # plain and secret build vars
    build_flags: list[str] = field(default_factory=list)


class ArtifactBuilder(Protocol):
    """Turns a job's source into an artifact an infrastructure target can run."""

    def build(self, job: BuildJob, log: BuildLog, set_phase: Callable[[str], None]) -> Artifact:
        """Fetch the source and build; report "fetching the source code" and "building image"."""
        ...


class LocalArtifactBuilder:
    """Builds local artifacts (a virtualenv and a source copy) with ``racetrack.builder``."""

    def __init__(self, data_dir: Path) -> None:
        self.workspaces_dir = data_dir / "workspaces"
        self.envs_dir = data_dir / "envs"
        self.artifacts_dir = data_dir / "artifacts"

    def build(self, job: BuildJob, log: BuildLog, set_phase: Callable[[str], None]) -> Artifact:
        if job.artifact_kind != ArtifactKind.LOCAL:
            raise DeploymentError(
                f"building {job.artifact_kind} artifacts is not supported by this Lifecycle"
            )
        set_phase("fetching the source code")
        try:
            workspace = prepare_workspace(
                workspaces_dir=self.workspaces_dir,
                deployment_id=job.deployment_id,
                manifest=job.manifest,
                manifest_yaml=job.manifest_yaml,
                build_context=job.build_context,
                git_credentials=job.git_credentials,
                log=log,
            )
        except Exception as e:
            raise with_context("fetching the source code", e) from e
        try:
            set_phase("building image")
            try:
                recipe = job.job_type.local_recipe(job.manifest, workspace.path)
                return build_local_artifact(
                    recipe,
                    workspace=workspace.path,
                    envs_dir=self.envs_dir,
                    artifacts_dir=self.artifacts_dir,
                    job_name=job.manifest.name,
                    job_version=job.manifest.version,
                    deployment_id=job.deployment_id,
                    build_env=job.build_env,
                    log=log,
                )
            except Exception as e:
                raise with_context("building image", e) from e
        finally:
            remove_workspace(workspace)


@dataclass
class _Run:
    """State of one deployment while it runs."""

    deployment_id: str
    manifest: Manifest
    manifest_yaml: str
    target: InfrastructureTarget
    job_type: JobType
    deployed_by: str | None
    subject_id: str | None
    log: BuildLog
    secrets: dict[str, Any]
    build_context: bytes | None
    kind: DeploymentKind = DeploymentKind.DEPLOY
    source_target: InfrastructureTarget | None = None  # a move's current target
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version


def check_runtime_env(env: dict[str, str], secret_env: dict[str, str], reserved: set[str]) -> None:
    clash = sorted((set(env) | set(secret_env)) & reserved)
    if clash:
        raise DeploymentError(
            "found illegal runtime env vars, which conflict with reserved names: {" + ", ".join(clash) + "}"
        )


class DeploymentPipeline:
    """Runs one deployment from its Deployment row to a running, verified job."""

    def __init__(
        self,
        *,
        db: Database,
        settings: LifecycleSettings,
        plugins: PluginEngine,
        auth: AuthService,
        cipher: Cipher,
        metrics: LifecycleMetrics,
        builder: ArtifactBuilder,
    ) -> None:
        self._db = db
        self._settings = settings
        self._plugins = plugins
        self._auth = auth
        self._cipher = cipher
        self._metrics = metrics
        self._builder = builder

    # -- bookkeeping --------------------------------------------------------------------------

    def _set_phase(self, deployment_id: str, phase: str, log: BuildLog | None = None) -> None:
        with self._db.session() as session:
            session.execute(
                update(Deployment)
                .where(Deployment.id == deployment_id)
                .values(phase=phase, update_time=now())
            )
        if log is not None:
            log.write(f"--- {phase}")
        logger.debug("deployment phase", deployment_id=deployment_id, phase=phase)

    def _finish(self, run: _Run | None, deployment_id: str, log: BuildLog, error: str | None) -> None:
        with self._db.session() as session:
            deployment = session.get(Deployment, deployment_id)
            if deployment is None:
                return
            deployment.update_time = now()
            deployment.build_logs = log.read()
            deployment.secrets_encrypted = None
            if run is not None and run.warnings:
                deployment.warnings = "\n".join(run.warnings)
            if error is None:
                deployment.status = DeploymentStatus.DONE
                deployment.phase = None
                deployment.error = None
                # The job runs from this deployment now: its uploaded source is what a later
                # redeploy rebuilds from; older copies of that version are not needed any more.
                session.execute(
                    update(Deployment)
                    .where(
                        Deployment.job_name == deployment.job_name,
                        Deployment.job_version == deployment.job_version,
                        Deployment.id != deployment_id,
                        Deployment.build_context.is_not(None),
                        Deployment.status != DeploymentStatus.IN_PROGRESS,
                    )
                    .values(build_context=None)
                )
            else:
                deployment.build_context = None
                deployment.status = DeploymentStatus.FAILED
                deployment.error = error
                audit.record(
                    session,
                    audit.AuditEvent.DEPLOYMENT_FAILED,
                    executor=deployment.deployed_by,
                    job_name=deployment.job_name,
                    job_version=deployment.job_version,
                    properties={"deployment_id": deployment_id, "error": error[:2000]},
                )

    # -- the run ------------------------------------------------------------------------------

    def run(self, deployment_id: str, cancel: threading.Event) -> None:
        """Run a claimed deployment to ``done`` or ``failed``; never raises."""
        log = BuildLog(build_log_path(self._settings, deployment_id))
        run: _Run | None = None
        try:
            run = self._load(deployment_id, log)
            logger.info("deployment started", deployment_id=deployment_id, job=run.name, version=run.version)
            artifact = self._artifact(run)
            self._provision(run, artifact, cancel)
        except DeploymentCancelled as e:
            self._fail(run, deployment_id, log, e.message)
        except RacetrackError as e:
            self._fail(run, deployment_id, log, e.message)
        except Exception as e:
            logger.opt(exception=e).error("deployment crashed", deployment_id=deployment_id)
            self._fail(run, deployment_id, log, f"{type(e).__name__}: {e}")
        else:
            self._finish(run, deployment_id, log, None)
            logger.info("job deployed", deployment_id=deployment_id, job=run.name, version=run.version)

    def _fail(self, run: _Run | None, deployment_id: str, log: BuildLog, error: str) -> None:
        log.write(f"deployment failed: {error}")
        error = log.scrub(error)
        self._metrics.failed_deployments.inc()
        logger.warning("deployment failed", deployment_id=deployment_id, error=error.splitlines()[0][:300])
        try:
            self._finish(run, deployment_id, log, error)
        except Exception as e:
            logger.opt(exception=e).error("recording a failed deployment failed", deployment_id=deployment_id)

    def _load(self, deployment_id: str, log: BuildLog) -> _Run:
        with self._db.session(readonly=True) as session:
            deployment = session.get(Deployment, deployment_id)
            if deployment is None:
                raise RacetrackError(f"deployment {deployment_id} was not found")
            manifest_yaml = deployment.manifest_yaml
            target_name = deployment.infrastructure_target
            deployed_by, subject_id = deployment.deployed_by, deployment.subject_id
            encrypted, build_context = deployment.secrets_encrypted, deployment.build_context
            kind = DeploymentKind(deployment.kind or DeploymentKind.DEPLOY)
        manifest = parse_manifest_yaml(manifest_yaml)
        target = self._plugins.infrastructure_targets().get(target_name or "")
        if target is None:
            raise DeploymentError(
                f"infrastructure target {target_name!r} is not installed; "
                f"installed targets: {sorted(self._plugins.infrastructure_targets())}"
            )
        source_target = (
            self._source_target(manifest.name, manifest.version) if kind == DeploymentKind.MOVE else None
        )
        if kind == DeploymentKind.DEPLOY:
            secrets: dict[str, Any] = json.loads(self._cipher.decrypt_text(encrypted)) if encrypted else {}
        else:
            secrets = self._kept_secrets(source_target or target, manifest.name, manifest.version)
        credentials = secrets.get("git_credentials") or {}
        log.add_secrets(
            [credentials.get("password", "")]
            + list((secrets.get("secret_build_env") or {}).values())
            + list((secrets.get("secret_runtime_env") or {}).values())
        )
        if kind != DeploymentKind.DEPLOY:
            log.write(f"{kind} of job {manifest.name} v{manifest.version} from its stored manifest")
        job_type = self._plugins.resolve_job_type(manifest.jobtype)
        self._plugins.validate_manifest(job_type, manifest)  # a redeploy meets today's rules too
        return _Run(
            deployment_id=deployment_id,
            manifest=manifest,
            manifest_yaml=manifest_yaml,
            target=target,
            job_type=job_type,
            deployed_by=deployed_by,
            subject_id=subject_id,
            log=log,
            secrets=secrets,
            build_context=build_context,
            kind=kind,
            source_target=source_target,
        )

    def _source_target(self, name: str, version: str) -> InfrastructureTarget:
        """The target a job being moved runs on now."""
        with self._db.session(readonly=True) as session:
            job = session.scalars(select(Job).where(Job.name == name, Job.version == version)).first()
            current = job.infrastructure_target if job is not None else None
        if job is None:
            raise DeploymentError(f"job {name} v{version} was deleted before its move started")
        target = self._plugins.infrastructure_targets().get(current or "")
        if target is None:
            raise DeploymentError(
                f"job {name} v{version} runs on {current!r}, which is not installed: "
                "it cannot be moved from there"
            )
        return target

    @staticmethod
    def _kept_secrets(target: InfrastructureTarget, name: str, version: str) -> dict[str, Any]:
        """The secrets the target kept at the first deployment, in the deploy request's shape."""
        try:
            kept = target.get_job_secrets(name, version)
        except (NotImplementedError, NotFoundError):  # none kept: it was deployed without secrets
            return {}
        except Exception as e:
            raise with_context(f"reading the secrets of job {name} v{version} from {target.name}", e) from e
        return {
            "git_credentials": (
                {"username": kept.git_credentials.username, "password": kept.git_credentials.password}
                if kept.git_credentials
                else None
            ),
            "secret_build_env": dict(kept.secret_build_env),
            "secret_runtime_env": dict(kept.secret_runtime_env),
        }

    def _keep_secrets(self, run: _Run) -> None:
        """Hand the secrets to the target that runs the job, for later redeploys."""
        credentials = run.secrets.get("git_credentials")
        git_credentials = GitCredentials(**credentials) if credentials else None
        secret_build_env: dict[str, str] = run.secrets.get("secret_build_env") or {}
        secret_runtime_env: dict[str, str] = run.secrets.get("secret_runtime_env") or {}
        if not (git_credentials or secret_build_env or secret_runtime_env):
            return
        try:
            run.target.save_job_secrets(
                run.name,
                run.version,
                JobSecrets(git_credentials, dict(secret_build_env), dict(secret_runtime_env)),
            )
        except NotImplementedError:
            run.warnings.append(f"infrastructure target {run.target.name} cannot keep job secrets")
        except Exception as e:
            raise with_context("saving job secrets", e) from e

    def _artifact(self, run: _Run) -> Artifact:
        """Build the job, or for a reprovision or a move take the artifact the job runs from."""
        if run.kind in (DeploymentKind.DEPLOY, DeploymentKind.MOVE):  # a new place to keep them
            self._keep_secrets(run)
        if run.kind in (DeploymentKind.REPROVISION, DeploymentKind.MOVE):
            holder = run.source_target or run.target
            current = getattr(holder, CURRENT_ARTIFACT, None)
            artifact = current(run.name, run.version) if callable(current) else None
            if isinstance(artifact, Artifact) and artifact.kind == run.target.artifact_kind:
                run.log.write(f"reprovisioning the running artifact {artifact.name}")
                with self._db.session() as session:
                    session.execute(
                        update(Deployment)
                        .where(Deployment.id == run.deployment_id)
                        .values(image_name=artifact.name)
                    )
                return artifact
            if run.kind == DeploymentKind.REPROVISION:
                run.warnings.append(
                    f"infrastructure target {run.target.name} keeps no artifact of the running version; "
                    "the job was rebuilt from its stored manifest"
                )
        return self._build(run)

    def _build(self, run: _Run) -> Artifact:
        credentials = run.secrets.get("git_credentials")
        git_credentials = GitCredentials(**credentials) if credentials else None
        secret_build_env: dict[str, str] = run.secrets.get("secret_build_env") or {}
        job = BuildJob(
            deployment_id=run.deployment_id,
            manifest=run.manifest,
            manifest_yaml=run.manifest_yaml,
            job_type=run.job_type,
            artifact_kind=run.target.artifact_kind,
            build_context=run.build_context,
            git_credentials=git_credentials,
            build_env={**(run.manifest.build_env or {}), **secret_build_env},
            build_flags=list(run.secrets.get("build_flags") or []),
        )
        artifact = self._builder.build(
            job, run.log, lambda phase: self._set_phase(run.deployment_id, phase, run.log)
        )
        with self._db.session() as session:
            session.execute(
                update(Deployment).where(Deployment.id == run.deployment_id).values(image_name=artifact.name)
            )
        return artifact

    def _runtime_env(
        self, run: _Run, family_token: str, deployment_timestamp: int
    ) -> tuple[dict[str, str], dict[str, str]]:
        manifest = run.manifest
        runtime_env = dict(manifest.runtime_env or {})
        secret_runtime_env: dict[str, str] = dict(run.secrets.get("secret_runtime_env") or {})
        build_vars = set(manifest.build_env or {}) | set(run.secrets.get("secret_build_env") or {})
        for name in build_vars - set(runtime_env) - set(secret_runtime_env):
            runtime_env[name] = ""  # hide build values from the running job
        plugin_env = self._plugins.runtime_env_vars()
        check_runtime_env(runtime_env, secret_runtime_env, set(RESERVED_ENV_VARS) | set(plugin_env))
        env = {
            **runtime_env,
            **plugin_env,
            "PUB_URL": self._settings.internal_pub_url,
            "JOB_NAME": manifest.name,
            "JOB_VERSION": manifest.version,
            "JOB_DEPLOYMENT_TIMESTAMP": str(deployment_timestamp),
            "REQUEST_TRACING_HEADER": self._settings.request_tracing_header,
            "CALLER_NAME_HEADER": self._settings.caller_name_header,
            "JOB_MANIFEST_YAML": run.manifest_yaml,
        }
        return env, {**secret_runtime_env, "AUTH_TOKEN": family_token}

    def _prepare_family(self, run: _Run) -> tuple[str, bool, str | None]:
        """Re-check the deployer, create the family if needed.

        Returns the family's token, whether the job version existed, and its last deployer.
        """
        with self._db.session() as session:
            ensure_not_in_maintenance(session)
            family = session.scalars(select(JobFamily).where(JobFamily.name == run.name)).first()
            if run.subject_id is not None:
                deployer = self._auth.subject_by_id(session, run.subject_id)
                if family is None:
                    check(deployer, Scope.DEPLOY_NEW_FAMILY)
                else:
                    check(deployer, Scope.DEPLOY_JOB, run.name, run.version)
            if family is None:
                family = JobFamily(name=run.name)
                session.add(family)
                session.flush()
            subject = self._auth.family_subject(session, family)
            token = self._auth.current_token(session, subject, SubjectKind.JOB_FAMILY)
            existing = session.scalars(
                select(Job).where(Job.name == run.name, Job.version == run.version)
            ).first()
            return token, existing is not None, existing.deployed_by if existing is not None else None

    def _provision(self, run: _Run, artifact: Artifact, cancel: threading.Event) -> None:
        self._set_phase(run.deployment_id, "creating cluster resources", run.log)
        family_token, existed, previous_deployer = self._prepare_family(run)
        if run.kind != DeploymentKind.DEPLOY and not existed:
            raise DeploymentError(f"job {run.name} v{run.version} was deleted before its {run.kind} started")
        deployment_timestamp = int(time.time())
        env, secret_env = self._runtime_env(run, family_token, deployment_timestamp)
        s = self._settings
        resources = effective_resources(
            run.manifest.resources,
            default_job_memory_min=s.default_job_memory_min,
            default_job_memory_max=s.default_job_memory_max,
            default_job_cpu_min=s.default_job_cpu_min,
            default_job_cpu_max=s.default_job_cpu_max,
            max_job_memory_limit=s.max_job_memory_limit,
        )
        for note in resources.notes:
            run.log.write(f"resources: {note}")
        request = DeployRequest(
            manifest=run.manifest,
            manifest_yaml=run.manifest_yaml,
            artifact=artifact,
            deployment_id=run.deployment_id,
            deployment_timestamp=deployment_timestamp,
            env=env,
            secret_env=secret_env,
            replicas=run.manifest.replicas,
            memory_min_bytes=resources.memory_min,
            memory_max_bytes=resources.memory_max,
            cpu_min_millicores=resources.cpu_min,
            cpu_max_millicores=resources.cpu_max,
        )
        try:
            record = run.target.deploy_job(request)
        except Exception as e:
            self._abandon(run)
            raise with_context(f"creating cluster resources on {run.target.name}", e) from e
        if not existed:
            self._save_job(run, record, artifact, status=JobStatus.STARTING)
        self._set_phase(run.deployment_id, "starting Job server", run.log)
        addresses = record.replica_internal_names or ([record.internal_name] if record.internal_name else [])
        try:
            if not addresses:
                raise DeploymentError(f"infrastructure target {run.target.name} gave no address of the job")
            probe = getattr(run.target, DEPLOYMENT_FAILURE_PROBE, None)
            health = HealthCheck(
                alive_timeout=s.timeout_until_job_alive,
                ready_timeout=s.timeout_until_job_ready,
                cancel=cancel,
                failure_probe=(
                    (lambda: probe(run.manifest.name, run.manifest.version, run.deployment_id))
                    if callable(probe)
                    else None
                ),
            )
            health.wait(
                addresses,
                deployment_timestamp,
                on_alive=lambda: self._set_phase(run.deployment_id, "initializing Job entrypoint", run.log),
            )
        except Exception as e:
            if isinstance(e, DeploymentCancelled):
                error = e.message
            else:
                message = (
                    e.message
                    if isinstance(e, RacetrackError)
                    else f"verifying the job: {type(e).__name__}: {e}"
                )
                error = message + self._recent_logs(run)
            self._abandon(run)
            if not existed:
                self._forget_job(run)
            raise (DeploymentCancelled if isinstance(e, DeploymentCancelled) else DeploymentError)(
                error
            ) from e
        job = self._save_job(run, record, artifact, status=JobStatus.RUNNING)
        try:
            run.target.promote_job(run.name, run.version, run.deployment_id)
        except Exception as e:
            logger.opt(exception=e).error(
                "retiring the previous instances failed", job=run.name, version=run.version
            )
            run.warnings.append(f"retiring the previous instances of this version failed: {e}")
        self._set_phase(run.deployment_id, "post-deploy hooks", run.log)
        self._plugins.notify(
            "post_job_deploy",
            manifest=run.manifest,
            job=job,
            image_name=artifact.name,
            deployer_username=run.deployed_by,
        )
        self._after_deploy(run, existed, previous_deployer)
        if run.source_target is not None:
            self._decommission(run, run.source_target, record)
        self._metrics.deployed_job.inc()

    def _decommission(self, run: _Run, old: InfrastructureTarget, record: JobRecord) -> None:
        """After a move: remove the job from the target it left."""
        try:
            old.delete_job(run.name, run.version)
        except Exception as e:
            logger.opt(exception=e).error("removing a moved job from its old target failed", job=run.name)
            run.warnings.append(f"removing the job from {old.name} failed: {e}; remove it there by hand")
            return
        run.log.write(f"removed from infrastructure target {old.name}")
        self._plugins.notify("post_job_delete", job=record, username_executor=run.deployed_by)

    def abandon(self, target_name: str, name: str, version: str, deployment_id: str) -> None:
        """Remove the instances of a deployment that will never finish (its process died)."""
        target = self._plugins.infrastructure_targets().get(target_name)
        if target is not None:
            target.abandon_job(name, version, deployment_id)

    def _recent_logs(self, run: _Run) -> str:
        try:
            logs = run.target.read_recent_logs(run.name, run.version, tail=JOB_LOGS_TAIL)
        except Exception as e:
            return f"\nJob logs: unavailable ({e})"
        return f"\nJob logs:\n{logs.rstrip()}" if logs.strip() else ""

    def _abandon(self, run: _Run) -> None:
        try:
            run.target.abandon_job(run.name, run.version, run.deployment_id)
        except Exception as e:
            logger.opt(exception=e).error("abandoning a failed deployment failed", job=run.name)

    def _forget_job(self, run: _Run) -> None:
        with self._db.session() as session:
            job = session.scalars(
                select(Job).where(
                    Job.name == run.name,
                    Job.version == run.version,
                    Job.deployment_id == run.deployment_id,
                    Job.status == JobStatus.STARTING,
                )
            ).first()
            if job is not None:
                session.delete(job)

    def _save_job(self, run: _Run, record: JobRecord, artifact: Artifact, *, status: JobStatus) -> JobRecord:
        with self._db.session() as session:
            family = session.scalars(select(JobFamily).where(JobFamily.name == run.name)).one()
            job = session.scalars(select(Job).where(Job.name == run.name, Job.version == run.version)).first()
            if job is None:
                job = Job(name=run.name, version=run.version, family_id=family.id)
                session.add(job)
            job.status = str(status)
            job.update_time = now()
            job.manifest_yaml = run.manifest_yaml
            job.internal_name = record.internal_name
            job.replica_internal_names = ",".join(record.replica_internal_names)
            job.error = None
            job.image_tag = record.image_tag or artifact.name
            job.deployed_by = run.deployed_by
            job.infrastructure_target = run.target.name
            job.job_type_version = f"{run.job_type.name}:{run.job_type.version}"
            job.deployment_id = run.deployment_id
            if record.infrastructure_stats:
                job.infrastructure_stats = json.dumps(record.infrastructure_stats)
            session.flush()
            return job_record(job)

    def _after_deploy(self, run: _Run, existed: bool, previous_deployer: str | None) -> None:
        with self._db.session() as session:
            job = session.scalars(select(Job).where(Job.name == run.name, Job.version == run.version)).one()
            new_deployment = run.kind == DeploymentKind.DEPLOY
            if (
                new_deployment
                and run.subject_id is not None
                and session.get(AuthSubject, run.subject_id) is not None
            ):
                granted = set(
                    session.scalars(
                        select(AuthResourcePermission.scope).where(
                            AuthResourcePermission.subject_id == run.subject_id,
                            AuthResourcePermission.job_id == job.id,
                            AuthResourcePermission.endpoint.is_(None),
                        )
                    )
                )
                for scope in DEPLOYER_SCOPES:
                    if scope not in granted:
                        session.add(
                            AuthResourcePermission(subject_id=run.subject_id, scope=scope, job_id=job.id)
                        )
            present = set(
                session.scalars(
                    select(PublicEndpointRequest.endpoint).where(PublicEndpointRequest.job_id == job.id)
                )
            )
            for endpoint in run.manifest.public_endpoints or []:
                if endpoint not in present:
                    session.add(PublicEndpointRequest(job_id=job.id, endpoint=endpoint, active=False))
                    present.add(endpoint)
            properties: dict[str, Any] = {"deployment_id": run.deployment_id, "kind": str(run.kind)}
            event = audit.AuditEvent.JOB_REDEPLOYED if existed else audit.AuditEvent.JOB_DEPLOYED
            if run.source_target is not None:
                event = audit.AuditEvent.JOB_MOVED
                properties.update(from_target=run.source_target.name, to_target=run.target.name)
            audit.record(
                session,
                event,
                executor=run.deployed_by,
                subject=previous_deployer if existed else None,
                job_name=run.name,
                job_version=run.version,
                properties=properties,
            )
