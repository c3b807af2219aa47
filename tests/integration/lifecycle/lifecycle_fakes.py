"""Working stand-ins for a job type, an infrastructure target and a builder.

They are real implementations of the plugin protocols: the target runs each replica as a tiny
HTTP server in a thread answering ``/live`` (with the deployment timestamp), ``/ready`` and
``/whoami`` (the deployment it belongs to). A job's behaviour is chosen by its runtime env var
``FAKE_BEHAVIOUR``: ``ok`` (default), ``init-error`` (``/live`` 500 with an error),
``never-ready``, ``no-live`` (``/live`` 404), ``old-timestamp`` (reports a stale timestamp).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from racetrack.builder import BuildLog
from racetrack.core.errors import DeploymentError
from racetrack.lifecycle.pipeline import BuildJob
from racetrack.plugins.hookspecs import hookimpl
from racetrack.plugins.interfaces import (
    Artifact,
    ArtifactKind,
    DeployRequest,
    JobRecord,
    JobSecrets,
    JobStatus,
    LocalRecipe,
    PluginContext,
)


class FakeJobType:
    name = "fake"
    version = "1.0.0"

    def local_recipe(self, manifest: Any, workspace: Path) -> LocalRecipe:
        return LocalRecipe(python="3", packages=[], copy_packages=[], requirements_files=[], command=["true"])


@dataclass
class Instance:
    name: str
    version: str
    deployment_id: str
    server: ThreadingHTTPServer
    thread: threading.Thread
    env: dict[str, str]
    secret_env: dict[str, str]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(instance_env: dict[str, str], deployment_id: str) -> type[BaseHTTPRequestHandler]:
    behaviour = instance_env.get("FAKE_BEHAVIOUR", "ok")
    timestamp = int(instance_env["JOB_DEPLOYMENT_TIMESTAMP"])
    started = time.monotonic()
    ready_after = float(instance_env.get("FAKE_READY_AFTER", "0"))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/live":
                if behaviour == "no-live":
                    self._json(404, {"error": "not found"})
                elif behaviour == "init-error":
                    self._json(
                        500, {"live": False, "deployment_timestamp": timestamp, "error": "boom in init"}
                    )
                elif behaviour == "old-timestamp":
                    self._json(200, {"live": True, "deployment_timestamp": timestamp - 100})
                else:
                    self._json(200, {"live": True, "deployment_timestamp": timestamp})
            elif self.path == "/ready":
                ok = behaviour != "never-ready" and time.monotonic() - started >= ready_after
                self._json(200 if ok else 500, {"ready": ok})
            elif self.path == "/whoami":
                self._json(200, {"deployment_id": deployment_id})
            else:
                self._json(404, {"error": "no such endpoint"})

    return Handler


class FakeTarget:
    """An infrastructure target running replicas as in-process HTTP servers."""

    artifact_kind = ArtifactKind.LOCAL
    remote_gateway_url: str | None = None
    remote_gateway_token: str | None = None

    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.instances: list[Instance] = []
        self.active: dict[tuple[str, str], str] = {}  # (name, version) -> serving deployment id
        self.secrets: dict[tuple[str, str], JobSecrets] = {}
        self.logs: dict[tuple[str, str], list[str]] = {}
        self.requests: list[DeployRequest] = []
        self.deleted: list[tuple[str, str]] = []
        self.abandoned: list[tuple[str, str, str]] = []
        self.fail_listing = False
        self.keeps_artifacts = True  # offers current_artifact (for reprovisions without a build)
        self.artifacts: dict[tuple[str, str, str], Artifact] = {}  # by name, version, deployment
        self.lock = threading.Lock()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        with self.lock:
            instances, self.instances = self.instances, []
        for instance in instances:
            instance.stop()

    def deploy_job(self, request: DeployRequest) -> JobRecord:
        self.requests.append(request)
        env = {**request.env, **request.secret_env}
        name, version = request.manifest.name, request.manifest.version
        self.artifacts[(name, version, request.deployment_id)] = request.artifact
        started = []
        for _ in range(request.replicas):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(env, request.deployment_id))
            server.daemon_threads = True
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            started.append(
                Instance(
                    name, version, request.deployment_id, server, thread, request.env, request.secret_env
                )
            )
        with self.lock:
            self.instances.extend(started)
        self.log(name, version, f"started deployment {request.deployment_id}")
        return JobRecord(
            name=name,
            version=version,
            status=JobStatus.STARTING,
            internal_name=started[0].address,
            replica_internal_names=[i.address for i in started],
            infrastructure_target=self.name,
        )

    def _stop_where(self, keep: Callable[[Instance], bool]) -> None:
        with self.lock:
            stopping = [i for i in self.instances if not keep(i)]
            self.instances = [i for i in self.instances if keep(i)]
        for instance in stopping:
            instance.stop()

    def promote_job(self, name: str, version: str, deployment_id: str) -> None:
        self._stop_where(lambda i: (i.name, i.version) != (name, version) or i.deployment_id == deployment_id)
        self.active[(name, version)] = deployment_id

    def abandon_job(self, name: str, version: str, deployment_id: str) -> None:
        self.abandoned.append((name, version, deployment_id))
        self._stop_where(lambda i: (i.name, i.version, i.deployment_id) != (name, version, deployment_id))

    def delete_job(self, name: str, version: str) -> None:
        self.deleted.append((name, version))
        self._stop_where(lambda i: (i.name, i.version) != (name, version))
        self.active.pop((name, version), None)

    def job_exists(self, name: str, version: str) -> bool:
        return (name, version) in self.active

    def save_job_secrets(self, name: str, version: str, secrets: JobSecrets) -> None:
        self.secrets[(name, version)] = secrets

    def get_job_secrets(self, name: str, version: str) -> JobSecrets:
        return self.secrets.get((name, version), JobSecrets())

    def __getattr__(self, attribute: str) -> Any:
        # current_artifact is an optional target method: offered only while keeps_artifacts is on
        if attribute == "current_artifact" and self.__dict__.get("keeps_artifacts"):
            return self._current_artifact
        raise AttributeError(attribute)

    def _current_artifact(self, name: str, version: str) -> Artifact | None:
        deployment_id = self.active.get((name, version))
        return self.artifacts.get((name, version, deployment_id)) if deployment_id else None

    def serving(self, name: str, version: str) -> list[Instance]:
        with self.lock:
            return [i for i in self.instances if (i.name, i.version) == (name, version)]

    def list_jobs(self) -> list[JobRecord]:
        if self.fail_listing:
            raise RuntimeError("cluster API unreachable")
        records = []
        for (name, version), deployment_id in self.active.items():
            replicas = [i.address for i in self.serving(name, version) if i.deployment_id == deployment_id]
            records.append(
                JobRecord(
                    name=name,
                    version=version,
                    status=JobStatus.RUNNING if replicas else JobStatus.ERROR,
                    internal_name=replicas[0] if replicas else None,
                    replica_internal_names=replicas,
                    error=None if replicas else "no replica answers",
                    infrastructure_target=self.name,
                    last_call_time=1_700_000_000,
                )
            )
        return records

    def log(self, name: str, version: str, line: str) -> None:
        with self.lock:
            self.logs.setdefault((name, version), []).append(line)

    def read_recent_logs(self, name: str, version: str, tail: int = 20) -> str:
        with self.lock:
            lines = list(self.logs.get((name, version), []))
        return "\n".join(lines[-tail:] if tail > 0 else lines)

    def follow_logs(self, name: str, version: str, tail: int, stop: Callable[[], bool]) -> Iterator[str]:
        with self.lock:
            lines = list(self.logs.get((name, version), []))
        position = len(lines)
        yield from lines[-tail:] if tail > 0 else lines
        while not stop():
            with self.lock:
                lines = list(self.logs.get((name, version), []))
            yield from lines[position:]
            position = len(lines)
            time.sleep(0.02)


@dataclass
class FakeBuilder:
    """Builds nothing; reports the builder's phases. ``FAKE_BUILD`` build var: ``fail`` or seconds."""

    builds: list[BuildJob] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def build(self, job: BuildJob, log: BuildLog, set_phase: Callable[[str], None]) -> Artifact:
        self.builds.append(job)
        set_phase("fetching the source code")
        log.write(f"fetching {job.manifest.git.remote}")
        set_phase("building image")
        mode = job.build_env.get("FAKE_BUILD", "")
        for key, value in job.build_env.items():
            log.write(f"build var {key}={value}")
        if mode == "fail":
            raise DeploymentError("building image: pip failed: no matching distribution")
        if mode == "wait":
            self.release.wait(30)
        log.write("built fake-env")
        return Artifact(kind=ArtifactKind.LOCAL, name=f"fake-env-{job.deployment_id[:8]}")


class FakePlugin:
    """Registers the fake job type and target with the real plugin engine."""

    plugin_name = "fakes"

    def __init__(self, target: FakeTarget, job_type: FakeJobType | None = None) -> None:
        self.target = target
        self.job_type = job_type or FakeJobType()
        self.deployed: list[Any] = []
        self.deleted: list[Any] = []

    @hookimpl
    def racetrack_job_types(self, register: Callable[[Any], None], context: PluginContext) -> None:
        register(self.job_type)

    @hookimpl
    def racetrack_infrastructure_targets(
        self, register: Callable[[Any], None], context: PluginContext
    ) -> None:
        register(self.target)

    @hookimpl
    def post_job_deploy(
        self, manifest: Any, job: JobRecord, image_name: str, deployer_username: str | None
    ) -> None:
        self.deployed.append((job.name, job.version, image_name, deployer_username))

    @hookimpl
    def post_job_delete(self, job: JobRecord, username_executor: str | None) -> None:
        self.deleted.append((job.name, job.version, username_executor))
