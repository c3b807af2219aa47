"""The ``local`` infrastructure target: every job replica is a process on a loopback port.

Layout under the plugin's data directory::

    jobs/<resource_name>/state.json                  deployments, ports, pids (no secrets)
    jobs/<resource_name>/secrets.bin                 encrypted JobSecrets + secret runtime env
    jobs/<resource_name>/<deployment_id>/replica-<i>.log   stdout+stderr of each replica

A supervisor thread restarts crashed replicas with exponential back-off and kills replicas
whose memory (summed over their session) exceeds the deployment's ``memory_max``. After a
platform restart :meth:`LocalTarget.start` adopts replicas still running (same pid *and*
process start time) and restarts the others. See docs/infrastructure.md.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from loguru import logger

from racetrack.core.errors import DeploymentError, InvalidInputError, NotFoundError
from racetrack.infra.local import logs as logfiles
from racetrack.infra.local.ports import HOST, PortAllocator, port_is_free
from racetrack.infra.local.processes import (
    Stoppable,
    describe_exit,
    format_bytes,
    is_running,
    session_rss,
    signal_group,
    start_ticks,
    terminate,
)
from racetrack.infra.local.settings import LocalSettings
from racetrack.infra.local.state import (
    STATE_FILE,
    DeploymentState,
    JobState,
    ReplicaState,
    SecretsFile,
    load_state,
    save_state,
)
from racetrack.manifest.rules import resource_name
from racetrack.plugins.interfaces import (
    Artifact,
    ArtifactKind,
    DeployRequest,
    JobRecord,
    JobSecrets,
    JobStatus,
    PluginContext,
)

TARGET_NAME = "local"
BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
STARTUP_GRACE = 0.2  # seconds deploy_job watches new replicas for an immediate exit
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LAST_CALL = re.compile(r"^last_call_timestamp(?:\{[^}]*\})?\s+([0-9.eE+-]+)\s*$", re.MULTILINE)


def _now() -> int:
    return int(time.time())


def _stoppables(deployments: list[DeploymentState]) -> list[Stoppable]:
    return [
        Stoppable(r.pid, r.start_ticks, r._popen)
        for d in deployments
        for r in d.replicas
        if r.pid is not None
    ]


def _probe(port: int, timeout: float) -> tuple[str | None, int | None]:
    """(error, last call time) of the replica on ``port``: one GET /live, one GET /metrics."""
    error: str | None = None
    last_call: int | None = None
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            conn.request("GET", "/live")
            response = conn.getresponse()
            body = response.read(64 * 1024)
            if response.status != 200:
                detail = ""
                with contextlib.suppress(ValueError, AttributeError):
                    detail = str(json.loads(body).get("error") or "")
                error = (
                    f"Job initialization error: {detail}" if detail else f"/live answered {response.status}"
                )
            else:
                conn.request("GET", "/metrics")
                metrics = conn.getresponse()
                text = metrics.read(4 * 1024 * 1024).decode("utf-8", errors="replace")
                match = _LAST_CALL.search(text) if metrics.status == 200 else None
                if match:
                    with contextlib.suppress(ValueError):
                        last_call = int(float(match.group(1))) or None
        finally:
            conn.close()
    except (OSError, http.client.HTTPException) as e:
        error = error or f"/live unreachable: {e}"
    return error, last_call


class LocalTarget:
    """Runs job replicas as supervised processes on this machine.

    Args:
        context: the plugin context (data dir, settings, the platform's cipher).
        settings: overrides ``context.settings`` (tests).
    """

    name = TARGET_NAME
    artifact_kind = ArtifactKind.LOCAL
    remote_gateway_url: str | None = None
    remote_gateway_token: str | None = None

    def __init__(self, context: PluginContext, settings: LocalSettings | None = None) -> None:
        self.settings = settings or LocalSettings.from_plugin_settings(context.settings)
        self.jobs_dir = context.data_dir / "jobs"
        self._encrypt = context.encrypt
        self._decrypt = context.decrypt
        self._lock = threading.RLock()
        self._jobs: dict[tuple[str, str], JobState] = {}
        self._ports = PortAllocator(self.settings.port_min, self.settings.port_max)
        self._started = False
        self._stop_event = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._memory_checked = 0.0  # monotonic time of the last memory check

    # -- helpers ---------------------------------------------------------------------------------

    def _job_dir(self, job: JobState | str) -> Path:
        return self.jobs_dir / (job if isinstance(job, str) else job.resource_name)

    def _secrets(self, job: JobState | str) -> SecretsFile:
        return SecretsFile(self._job_dir(job), self._encrypt, self._decrypt)

    def _log_path(self, job: JobState, dep: DeploymentState, replica: ReplicaState) -> Path:
        return self._job_dir(job) / dep.deployment_id / f"replica-{replica.index}.log"

    def _reserved_ports(self) -> set[int]:
        return {r.port for job in self._jobs.values() for d in job.deployments for r in d.replicas}

    def _save(self, job: JobState) -> None:
        save_state(self._job_dir(job), job)

    def _get(self, name: str, version: str) -> JobState:
        job = self._jobs.get((name, version))
        if job is None or not job.deployments:
            raise NotFoundError(f"job {name} v{version} is not running on the local infrastructure target")
        return job

    @staticmethod
    def _current(job: JobState) -> DeploymentState:
        """The deployment serving the job: the promoted one, else the newest."""
        promoted = [d for d in job.deployments if d.promoted]
        return promoted[-1] if promoted else job.deployments[-1]

    def _environment(self, job: JobState, dep: DeploymentState) -> dict[str, str]:
        env = {key: os.environ[key] for key in BASE_ENV if key in os.environ}
        if dep.env_dir:
            env["VIRTUAL_ENV"] = dep.env_dir
            env["PATH"] = f"{dep.env_dir}/bin{os.pathsep}{env.get('PATH', os.defpath)}"
        env["PYTHONUNBUFFERED"] = "1"
        env.update(dep.env)
        if dep.secret_names and not dep._secret_env:
            dep._secret_env = self._secrets(job).runtime_env(dep.deployment_id)
        env.update(dep._secret_env)
        env.update(
            JOB_NAME=job.name,
            JOB_VERSION=job.version,
            JOB_DEPLOYMENT_TIMESTAMP=str(dep.deployment_timestamp),
            JOB_USER_MODULE_HOSTNAME=HOST,
        )
        return env

    @staticmethod
    def _command(dep: DeploymentState, replica: ReplicaState) -> list[str]:
        python = str(Path(dep.env_dir) / "bin" / "python") if dep.env_dir else sys.executable
        return [
            part.replace("{python}", python).replace("{port}", str(replica.port)).replace("{source}", dep.cwd)
            for part in dep.command
        ]

    def _spawn(self, job: JobState, dep: DeploymentState, replica: ReplicaState) -> bool:
        """Start one replica; on failure record the error and schedule a retry. Lock held."""
        log_path = self._log_path(job, dep, replica)
        try:
            if replica.last_exit is not None and not port_is_free(replica.port):
                reserved = self._reserved_ports() - {replica.port}
                old = replica.port
                replica.port = self._ports.allocate(1, reserved, f"{job.name} {job.version}")[0]
                logger.warning(
                    "replica port taken by another process; moved",
                    job=job.name,
                    version=job.version,
                    old=old,
                    new=replica.port,
                )
            env = self._environment(job, dep)
            log_path.parent.mkdir(parents=True, exist_ok=True)
            if log_path.exists() and log_path.stat().st_size > self.settings.log_max_bytes:
                os.replace(log_path, log_path.with_name(log_path.name + ".1"))
            with log_path.open("ab") as out:
                if replica.last_exit:
                    out.write(
                        f"[racetrack] restarting replica {replica.index}: {replica.last_exit}\n".encode()
                    )
                    out.flush()
                popen = subprocess.Popen(
                    self._command(dep, replica),
                    cwd=dep.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except Exception as e:
            self._mark_down(replica, f"cannot start: {e}", time.monotonic())
            logger.error("cannot start job replica", job=job.name, version=job.version, error=str(e))
            return False
        replica.pid = popen.pid
        replica._popen = popen
        replica.start_ticks = start_ticks(popen.pid)
        replica.started_at = time.time()
        replica.error = None
        replica._next_start = None
        with contextlib.suppress(OSError):  # under memory pressure the kernel kills jobs first
            Path(f"/proc/{popen.pid}/oom_score_adj").write_text("500")
        logger.info(
            "job replica started",
            job=job.name,
            version=job.version,
            replica=replica.index,
            port=replica.port,
            pid=popen.pid,
        )
        return True

    def _mark_down(self, replica: ReplicaState, reason: str, now: float) -> None:
        """Record why a replica is down and when it is restarted (exponential back-off)."""
        uptime = time.time() - (replica.started_at or 0)
        if replica._backoff == 0 or uptime >= self.settings.backoff_reset_after:
            delay = self.settings.restart_backoff_min
        else:
            delay = min(replica._backoff * 2, self.settings.restart_backoff_max)
        replica._backoff = delay
        replica._next_start = now + delay
        replica._popen = None
        replica.pid = None
        replica.start_ticks = None
        replica.error = reason
        replica.last_exit = reason

    def _exit_reason(self, replica: ReplicaState) -> str | None:
        assert replica.pid is not None
        if replica._popen is not None:
            code = replica._popen.poll()
            if code is None:
                return None
            signal_group(replica.pid, signal.SIGKILL)  # leftovers of its process group
            return describe_exit(code)
        if is_running(replica.pid, replica.start_ticks):
            return None
        return "exited (exit status unknown: the process was adopted after a platform restart)"

    def _remove_files(
        self, job: JobState, removed: list[DeploymentState], keep: list[DeploymentState]
    ) -> None:
        """Delete the logs and artifact directories of ``removed`` deployments (unless still used)."""
        used = {d.cwd for d in keep}
        for dep in removed:
            shutil.rmtree(self._job_dir(job) / dep.deployment_id, ignore_errors=True)
            if dep.cwd not in used:
                shutil.rmtree(dep.cwd, ignore_errors=True)
                self._prune_artifact_parents(Path(dep.cwd), job)

    @staticmethod
    def _prune_artifact_parents(source_dir: Path, job: JobState) -> None:
        """Remove ``<artifacts>/<name>/<version>`` and ``<artifacts>/<name>`` once empty."""
        version_dir = source_dir.parent
        if version_dir.name == job.version and version_dir.parent.name == job.name:
            for directory in (version_dir, version_dir.parent):
                with contextlib.suppress(OSError):
                    directory.rmdir()

    # -- lifetime --------------------------------------------------------------------------------

    def start(self) -> None:
        """Load saved jobs, adopt replicas still running, restart the others, start supervising."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._stop_event.clear()
            retired = self._revive()
            self._supervisor = threading.Thread(
                target=self._supervise_loop, name="local-target-supervisor", daemon=True
            )
            self._supervisor.start()
        for job, deployments in retired:
            terminate(_stoppables(deployments), self.settings.stop_timeout)
            self._remove_files(job, deployments, job.deployments)

    def _revive(self) -> list[tuple[JobState, list[DeploymentState]]]:
        retired: list[tuple[JobState, list[DeploymentState]]] = []
        if not self.jobs_dir.is_dir():
            return retired
        for job_dir in sorted(self.jobs_dir.iterdir()):
            try:
                job = load_state(job_dir)
            except Exception as e:
                logger.error(
                    "unreadable local job state skipped", path=str(job_dir / STATE_FILE), error=str(e)
                )
                continue
            if job is not None and job.deployments:
                self._jobs[(job.name, job.version)] = job
        self._ports.skip_past(self._reserved_ports())
        now = time.monotonic()
        for job in self._jobs.values():
            if any(d.promoted for d in job.deployments):
                # deployments still being verified when the platform stopped: never promoted now
                unverified = [d for d in job.deployments if not d.promoted]
                if unverified:
                    job.deployments = [d for d in job.deployments if d.promoted]
                    self._secrets(job).keep_runtime_envs({d.deployment_id for d in job.deployments})
                    retired.append((job, unverified))
            for dep in job.deployments:
                for replica in dep.replicas:
                    replica._next_start = None
                    if replica.pid is not None and is_running(replica.pid, replica.start_ticks):
                        logger.info(
                            "job replica adopted",
                            job=job.name,
                            version=job.version,
                            replica=replica.index,
                            pid=replica.pid,
                        )
                        continue
                    replica.pid = None
                    replica.start_ticks = None
                    try:
                        self._spawn(job, dep, replica)
                    except Exception as e:  # e.g. secrets that cannot be decrypted any more
                        self._mark_down(replica, f"cannot start: {e}", now)
            self._save(job)
        return retired

    def stop(self) -> None:
        """Stop supervising and stop every replica (SIGTERM, then SIGKILL); ``start`` revives them."""
        self._stop_event.set()
        supervisor = self._supervisor
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(timeout=10)
        with self._lock:
            jobs = list(self._jobs.values())
            processes = [p for job in jobs for p in _stoppables(job.deployments)]
        terminate(processes, self.settings.stop_timeout)
        with self._lock:
            for job in jobs:
                for dep in job.deployments:
                    for replica in dep.replicas:
                        replica.pid = None
                        replica.start_ticks = None
                        replica._popen = None
                        replica._next_start = None
                        replica.error = None
                if job.deployments:
                    self._save(job)
            self._jobs.clear()
            self._started = False
            self._supervisor = None

    # -- supervision -------------------------------------------------------------------------------

    def _supervise_loop(self) -> None:
        while not self._stop_event.wait(self.settings.supervise_interval):
            try:
                self.check_replicas()
            except Exception as e:
                logger.opt(exception=e).error("local target supervisor check failed")

    def check_replicas(self) -> None:
        """One supervisor round: record exits, enforce memory limits, restart what is due."""
        now = time.monotonic()
        limited: set[int] = set()
        if now - self._memory_checked >= self.settings.memory_check_interval:
            self._memory_checked = now
            with self._lock:
                limited = {
                    r.pid
                    for job in self._jobs.values()
                    for d in job.deployments
                    if d.memory_max_bytes
                    for r in d.replicas
                    if r.pid is not None
                }
        rss = session_rss(limited) if limited else {}
        with self._lock:
            for job in list(self._jobs.values()):
                changed = False
                for dep in job.deployments:
                    for replica in dep.replicas:
                        if replica.pid is not None:
                            reason = self._exit_reason(replica)
                            used = rss.get(replica.pid, 0)
                            if reason is None and dep.memory_max_bytes and used > dep.memory_max_bytes:
                                signal_group(replica.pid, signal.SIGKILL)
                                if replica._popen is not None:
                                    with contextlib.suppress(subprocess.TimeoutExpired):
                                        replica._popen.wait(timeout=2)
                                reason = (
                                    f"killed: memory_max {format_bytes(dep.memory_max_bytes)} exceeded "
                                    f"(resident memory {format_bytes(used)})"
                                )
                            if reason is not None:
                                self._mark_down(replica, reason, now)
                                changed = True
                                logger.warning(
                                    "job replica down",
                                    job=job.name,
                                    version=job.version,
                                    replica=replica.index,
                                    reason=reason,
                                    restart_in=replica._backoff,
                                )
                        elif replica._next_start is not None and now >= replica._next_start:
                            replica.restarts += 1
                            self._spawn(job, dep, replica)
                            changed = True
                if changed:
                    self._save(job)

    # -- deployer --------------------------------------------------------------------------------

    def deploy_job(self, request: DeployRequest) -> JobRecord:
        """Start the new deployment's replicas beside any running ones of that version."""
        self.start()
        manifest = request.manifest
        name, version = manifest.name, manifest.version
        artifact = request.artifact
        if artifact.kind != ArtifactKind.LOCAL or artifact.source_dir is None:
            raise DeploymentError(
                f"the local target runs local artifacts (virtualenv + source directory), got {artifact.kind}"
            )
        if request.replicas < 1:
            raise InvalidInputError(f"replicas must be at least 1, got {request.replicas}")
        if not _SAFE_ID.match(request.deployment_id):
            raise InvalidInputError(f"invalid deployment id {request.deployment_id!r}")
        retired: list[DeploymentState] = []
        with self._lock:
            job = self._jobs.get((name, version))
            if job is None:
                resource = resource_name(name, version)
                on_disk = load_state(self._job_dir(resource))
                if on_disk is not None and (on_disk.name, on_disk.version) != (name, version):
                    raise DeploymentError(
                        f"job {name} v{version} would share the directory {resource} with job "
                        f"{on_disk.name} v{on_disk.version}; delete that one or pick another version"
                    )
                job = JobState(
                    name=name, version=version, resource_name=resource, create_time=_now(), update_time=_now()
                )
            retired = [d for d in job.deployments if d.deployment_id == request.deployment_id]
            job.deployments = [d for d in job.deployments if d.deployment_id != request.deployment_id]
            ports = self._ports.allocate(request.replicas, self._reserved_ports(), f"{name} {version}")
            dep = DeploymentState(
                deployment_id=request.deployment_id,
                deployment_timestamp=request.deployment_timestamp,
                command=list(artifact.command),
                env={**artifact.env, **request.env},
                artifact_env=dict(artifact.env),
                secret_names=sorted(request.secret_env),
                cwd=str(artifact.source_dir),
                env_dir=str(artifact.env_dir) if artifact.env_dir else None,
                artifact_name=artifact.name,
                memory_max_bytes=request.memory_max_bytes,
                replicas=[ReplicaState(index=i, port=port) for i, port in enumerate(ports)],
                created=_now(),
            )
            dep._secret_env = dict(request.secret_env)
            job.deployments.append(dep)
            job.update_time = _now()
            self._jobs[(name, version)] = job
            self._secrets(job).set_runtime_env(dep.deployment_id, dict(request.secret_env) or None)
            for replica in dep.replicas:
                if not self._spawn(job, dep, replica):
                    error = replica.error
                    job.deployments.remove(dep)
                    retired.append(dep)
                    self._secrets(job).set_runtime_env(dep.deployment_id, None)
                    if job.deployments:
                        self._save(job)
                    else:
                        del self._jobs[(name, version)]
                    terminate(_stoppables([dep]), self.settings.stop_timeout)
                    self._remove_files(job, [dep], job.deployments)
                    raise DeploymentError(
                        f"starting replica {replica.index} of job {name} v{version}: {error}"
                    )
            self._save(job)
        if retired:
            terminate(_stoppables(retired), self.settings.stop_timeout)
        self._watch_start(dep)
        with self._lock:
            return self._record(job, dep)

    def _watch_start(self, dep: DeploymentState) -> None:
        """Give new replicas a moment: one that exits at once is reported by deploy_job."""
        deadline = time.monotonic() + STARTUP_GRACE
        while time.monotonic() < deadline:
            if any(r._popen is not None and r._popen.poll() is not None for r in dep.replicas):
                break
            time.sleep(0.02)
        self.check_replicas()

    def _record(
        self, job: JobState, dep: DeploymentState, probe: tuple[str | None, int | None] = (None, None)
    ) -> JobRecord:
        now = time.monotonic()
        down = [
            f"replica {r.index} {r.error}"
            + (f"; restarting in {max(0, r._next_start - now):.0f} s" if r._next_start is not None else "")
            for r in dep.replicas
            if r.pid is None and r.error
        ]
        error = "; ".join(down) or probe[0]
        status = JobStatus.ERROR if error else (JobStatus.RUNNING if dep.promoted else JobStatus.STARTING)
        return JobRecord(
            name=job.name,
            version=job.version,
            status=status,
            internal_name=f"{HOST}:{dep.replicas[0].port}",
            replica_internal_names=[f"{HOST}:{r.port}" for r in dep.replicas],
            error=error,
            infrastructure_target=self.name,
            image_tag=dep.artifact_name,
            create_time=dep.deployment_timestamp,
            update_time=dep.deployment_timestamp,
            last_call_time=probe[1],
            infrastructure_stats={
                "number_of_restarts": sum(r.restarts for r in dep.replicas),
                "pids": [r.pid for r in dep.replicas],
                "deployment_id": dep.deployment_id,
            },
        )

    def current_artifact(self, name: str, version: str) -> Artifact | None:
        """The artifact of the newest promoted deployment of that version (for a reprovision)."""
        with self._lock:
            job = self._jobs.get((name, version))
            promoted = [d for d in job.deployments if d.promoted] if job else []
            if not promoted:
                return None
            dep = promoted[-1]
        if not Path(dep.cwd).is_dir() or (dep.env_dir is not None and not Path(dep.env_dir).is_dir()):
            return None
        return Artifact(
            kind=ArtifactKind.LOCAL,
            name=dep.artifact_name,
            env_dir=Path(dep.env_dir) if dep.env_dir else None,
            source_dir=Path(dep.cwd),
            command=list(dep.command),
            env=dict(dep.artifact_env),
        )

    def environments_in_use(self) -> set[Path]:
        """The virtualenvs of every deployment kept here (running, stopped or a fallback)."""
        with self._lock:
            return {Path(d.env_dir) for job in self._jobs.values() for d in job.deployments if d.env_dir}

    def deployment_failure(self, name: str, version: str, deployment_id: str) -> str | None:
        """Why a replica of this (not yet promoted) deployment went down, or None."""
        self.check_replicas()
        with self._lock:
            job = self._jobs.get((name, version))
            dep = (
                next((d for d in job.deployments if d.deployment_id == deployment_id), None) if job else None
            )
            if dep is None:
                return "the job's processes are gone"
            for replica in dep.replicas:
                if replica.last_exit:
                    return f"replica {replica.index} {replica.last_exit}"
        return None

    def promote_job(self, name: str, version: str, deployment_id: str) -> None:
        """The deployment passed its checks: stop and remove every other deployment of the version."""
        with self._lock:
            job = self._get(name, version)
            chosen = [d for d in job.deployments if d.deployment_id == deployment_id]
            if not chosen:
                raise NotFoundError(
                    f"deployment {deployment_id} of job {name} v{version} is not on the local target"
                )
            chosen[0].promoted = True
            retired = [d for d in job.deployments if d is not chosen[0]]
            job.deployments = chosen
            self._save(job)
            self._secrets(job).keep_runtime_envs({deployment_id})
        terminate(_stoppables(retired), self.settings.stop_timeout)
        self._remove_files(job, retired, chosen)
        logger.info("job deployment promoted", job=name, version=version, deployment=deployment_id)

    def abandon_job(self, name: str, version: str, deployment_id: str) -> None:
        """The deployment failed: stop and remove its replicas; the others keep running."""
        with self._lock:
            job = self._jobs.get((name, version))
            if job is None:
                return
            abandoned = [d for d in job.deployments if d.deployment_id == deployment_id]
            if not abandoned:
                return
            job.deployments = [d for d in job.deployments if d.deployment_id != deployment_id]
            self._secrets(job).keep_runtime_envs({d.deployment_id for d in job.deployments})
            if job.deployments:
                self._save(job)
            else:
                del self._jobs[(name, version)]
                (self._job_dir(job) / STATE_FILE).unlink(missing_ok=True)
        terminate(_stoppables(abandoned), self.settings.stop_timeout)
        self._remove_files(job, abandoned, job.deployments)
        with contextlib.suppress(OSError):
            self._job_dir(job).rmdir()  # only when nothing (no secrets) is left
        logger.info("job deployment abandoned", job=name, version=version, deployment=deployment_id)

    def delete_job(self, name: str, version: str) -> None:
        """Stop every replica of the version and remove its files and artifacts. Idempotent."""
        resource = resource_name(name, version)
        with self._lock:
            job = self._jobs.pop((name, version), None)
            if job is None:
                with contextlib.suppress(Exception):
                    job = load_state(self._job_dir(resource))
        if job is not None:
            terminate(_stoppables(job.deployments), self.settings.stop_timeout)
            self._remove_files(job, job.deployments, [])
        shutil.rmtree(self._job_dir(resource), ignore_errors=True)
        logger.info("job deleted from the local target", job=name, version=version)

    def job_exists(self, name: str, version: str) -> bool:
        with self._lock:
            job = self._jobs.get((name, version))
            return job is not None and bool(job.deployments)

    def save_job_secrets(self, name: str, version: str, secrets: JobSecrets) -> None:
        with self._lock:
            self._secrets(resource_name(name, version)).set_job_secrets(secrets)

    def get_job_secrets(self, name: str, version: str) -> JobSecrets:
        with self._lock:
            secrets = self._secrets(resource_name(name, version)).job_secrets()
        if secrets is None:
            raise NotFoundError(f"Can't find secrets associated with job {name} v{version}")
        return secrets

    # -- monitor ---------------------------------------------------------------------------------

    def list_jobs(self) -> list[JobRecord]:
        """Every job version with its status; live replicas get a quick ``/live`` probe."""
        if self._started:
            self.check_replicas()  # exits since the supervisor's last round count already
        with self._lock:
            current = [(job, self._current(job)) for job in self._jobs.values() if job.deployments]
            to_probe = [
                (i, r.port)
                for i, (_, dep) in enumerate(current)
                if dep.promoted and all(r.pid is not None for r in dep.replicas)
                for r in dep.replicas
            ]
        results: dict[int, list[tuple[str | None, int | None]]] = {}
        if to_probe and self.settings.probe_timeout > 0:
            with ThreadPoolExecutor(max_workers=min(16, len(to_probe))) as pool:
                probed = pool.map(lambda item: _probe(item[1], self.settings.probe_timeout), to_probe)
                for (i, _), outcome in zip(to_probe, probed, strict=True):
                    results.setdefault(i, []).append(outcome)
        records = []
        with self._lock:
            for i, (job, dep) in enumerate(current):
                outcomes = results.get(i, [])
                errors = [f"replica {n} {e}" for n, (e, _) in enumerate(outcomes) if e]
                last_calls = [c for _, c in outcomes if c]
                records.append(
                    self._record(job, dep, ("; ".join(errors) or None, max(last_calls, default=None)))
                )
        return records

    def _log_files(self, name: str, version: str) -> tuple[list[tuple[int, Path]], bool] | None:
        with self._lock:
            job = self._jobs.get((name, version))
            if job is None or not job.deployments:
                return None
            dep = job.deployments[-1]  # the newest: during a deployment, the one being verified
            files = [(r.index, self._log_path(job, dep, r)) for r in dep.replicas]
            return files, len(dep.replicas) > 1

    def read_recent_logs(self, name: str, version: str, tail: int = 20) -> str:
        """The last ``tail`` lines (0 = all) of the newest deployment's replicas together."""
        found = self._log_files(name, version)
        if found is None:
            raise NotFoundError(f"job {name} v{version} is not running on the local infrastructure target")
        files, prefixed = found
        per_replica = [(index, logfiles.tail_lines(path, tail)) for index, path in files]
        lines = logfiles.interleave(per_replica, tail, prefixed)
        return "\n".join(lines) + ("\n" if lines else "")

    def follow_logs(self, name: str, version: str, tail: int, stop: Callable[[], bool]) -> Iterator[str]:
        """Yield the last ``tail`` lines, then every new line of all replicas until ``stop()``."""
        if self._log_files(name, version) is None:
            raise NotFoundError(f"job {name} v{version} is not running on the local infrastructure target")
        return logfiles.follow(lambda: self._log_files(name, version), tail, stop)
