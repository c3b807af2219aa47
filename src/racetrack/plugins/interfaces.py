"""What Lifecycle knows of job types and infrastructure targets.

Lifecycle never imports a concrete job type or target: it gets them from the plugin
engine (hooks ``racetrack_job_types`` and ``racetrack_infrastructure_targets``) and talks
to them only through the protocols and records below.

Deployment flow for the local (process) kind of artifact::

    workspace = builder.prepare_workspace(...)          # uploaded context or git clone
    recipe = job_type.local_recipe(manifest, workspace)  # how to make the env, how to start
    artifact = builder.build_local_artifact(recipe, ...) # content-addressed env + source copy
    record = target.deploy_job(DeployRequest(...))       # new instances beside running ones
    lifecycle verifies /live (deployment_timestamp) and /ready on record.internal_name
    target.promote_job(...)  on success: older instances of that name+version retired
    target.abandon_job(...)  on failure: new instances removed, the running ones untouched
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from racetrack.manifest import Manifest


class JobStatus(StrEnum):
    CREATED = "created"
    STARTING = "starting"
    RUNNING = "running"
    ERROR = "error"
    LOST = "lost"
    ORPHANED = "orphaned"


class ArtifactKind(StrEnum):
    LOCAL = "local"  # a virtualenv + a source directory, run as local processes
    OCI_IMAGE = "oci-image"  # a container image (docker, kubernetes targets)


@dataclass(frozen=True)
class GitCredentials:
    username: str
    password: str


@dataclass
class JobSecrets:
    """Secrets kept by a target so anyone allowed can rebuild or reprovision a job later."""

    git_credentials: GitCredentials | None = None
    secret_build_env: dict[str, str] = field(default_factory=dict)
    secret_runtime_env: dict[str, str] = field(default_factory=dict)


@dataclass
class LocalRecipe:
    """A job type's instructions for building and starting a job as a local process.

    ``command`` items may contain ``{python}`` (the env's interpreter), ``{port}`` (the
    replica's port) and ``{source}`` (the job's source directory), substituted by the target.
    """

    python: str  # interpreter the env is created from ("3.11" or an absolute path)
    packages: list[str]  # requirement strings installed into every env of this job type
    copy_packages: list[Path]  # package directories copied into the env's site-packages
    requirements_files: list[Path]  # the job's own requirements files (absolute paths)
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)  # fixed env vars (JOB_TYPE_VERSION...)
    cache_key_extra: str = ""  # anything else that makes two envs differ


@dataclass
class Artifact:
    """What the builder produced, handed to the infrastructure target."""

    kind: ArtifactKind
    name: str  # human readable: env hash or image name; stored as the deployment's image_name
    env_dir: Path | None = None  # LOCAL: the virtualenv
    source_dir: Path | None = None  # LOCAL: the job's working directory (a private copy)
    command: list[str] = field(default_factory=list)  # LOCAL: argv template (see LocalRecipe)
    env: dict[str, str] = field(default_factory=dict)  # env vars baked into the artifact


@dataclass
class DeployRequest:
    manifest: Manifest
    manifest_yaml: str
    artifact: Artifact
    deployment_id: str
    deployment_timestamp: int  # unix seconds; each new instance's /live must report it
    env: dict[str, str]  # plain runtime vars: user runtime_env + platform vars (PUB_URL...)
    secret_env: dict[str, str]  # secret runtime vars incl. AUTH_TOKEN; never logged, kept encrypted
    replicas: int = 1
    memory_max_bytes: int | None = None
    memory_min_bytes: int | None = None
    cpu_max_millicores: int | None = None
    cpu_min_millicores: int | None = None


@dataclass
class JobRecord:
    """A job as a target sees it (upstream's JobDto, the fields targets fill in)."""

    name: str
    version: str
    status: JobStatus
    internal_name: str | None = None  # host:port PUB calls
    replica_internal_names: list[str] = field(default_factory=list)
    error: str | None = None
    infrastructure_target: str | None = None
    image_tag: str | None = None
    create_time: int | None = None
    update_time: int | None = None
    last_call_time: int | None = None
    infrastructure_stats: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class JobType(Protocol):
    """A kind of job (``python3``): knows how to turn a job's source into an artifact."""

    name: str
    version: str

    def local_recipe(self, manifest: Manifest, workspace: Path) -> LocalRecipe:
        """Instructions for the local artifact; raise InvalidInputError naming what to fix."""
        ...


@runtime_checkable
class InfrastructureTarget(Protocol):
    """Where jobs run. Methods may block; Lifecycle calls them from worker threads."""

    name: str
    artifact_kind: ArtifactKind
    remote_gateway_url: str | None
    remote_gateway_token: str | None

    def start(self) -> None:
        """Begin supervising: adopt or restart the jobs this target should be running."""

    def stop(self) -> None:
        """Stop supervising (and, for a local target, stop the job processes gracefully)."""

    def deploy_job(self, request: DeployRequest) -> JobRecord:
        """Start the instances of a new deployment beside any already running for that version."""
        ...

    def promote_job(self, name: str, version: str, deployment_id: str) -> None:
        """The deployment passed its health checks: retire older instances of name+version."""

    def abandon_job(self, name: str, version: str, deployment_id: str) -> None:
        """The deployment failed: remove its instances, leave the running ones untouched."""

    def delete_job(self, name: str, version: str) -> None:
        """Remove every instance and file of that job version. Idempotent."""

    def job_exists(self, name: str, version: str) -> bool: ...

    def save_job_secrets(self, name: str, version: str, secrets: JobSecrets) -> None: ...

    def get_job_secrets(self, name: str, version: str) -> JobSecrets: ...

    def list_jobs(self) -> list[JobRecord]:
        """Every job this target runs, with its status (running/error) and addresses."""
        ...

    def read_recent_logs(self, name: str, version: str, tail: int = 20) -> str:
        """The last ``tail`` lines of all replicas together (0 = everything)."""
        ...

    def follow_logs(self, name: str, version: str, tail: int, stop: Callable[[], bool]) -> Iterator[str]:
        """Yield the last ``tail`` lines, then new lines of all replicas until ``stop()`` is true."""
        ...


# Optional target method, looked up with getattr so older targets need not have it:
#
#     def deployment_failure(self, name: str, version: str, deployment_id: str) -> str | None:
#         """Why the instances of a deployment still being verified went down (e.g. "exited with
#         code 3"), or None while they run or start. Lets Lifecycle fail a deployment at once
#         instead of waiting for the liveness timeout."""
DEPLOYMENT_FAILURE_PROBE = "deployment_failure"

# Optional target method, looked up with getattr:
#
#     def current_artifact(self, name: str, version: str) -> Artifact | None:
#         """The artifact the running deployment of that version was started from, or None.
#         Lets a reprovision start the same code again without rebuilding it."""
CURRENT_ARTIFACT = "current_artifact"

# Optional target method, looked up with getattr:
#
#     def environments_in_use(self) -> set[Path]:
#         """The local environments (virtualenvs) of every deployment the target keeps, running
#         or not. Lifecycle never prunes these, however long ago they were built."""
ENVIRONMENTS_IN_USE = "environments_in_use"


@dataclass
class PluginContext:
    """What the platform hands to plugins that create targets or job types."""

    data_dir: Path  # a directory the plugin may use (created by the engine)
    settings: dict[str, Any]  # the plugin's own configuration
    encrypt: Callable[[bytes], bytes]  # Fernet with the platform key, for secrets at rest
    decrypt: Callable[[bytes], bytes]
