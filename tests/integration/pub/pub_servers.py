"""Real servers on loopback for PUB's integration tests (fixtures in conftest.py).

- ``lifecycle``: a fake Lifecycle answering ``can-call-job`` like the real one and counting calls;
- ``job``: a job replica (Starlette on uvicorn) that echoes, streams, redirects and sleeps;
- ``crashing_job``: a job in a subprocess that dies mid-request (``os._exit``);
- ``pub``: a factory serving ``create_app(PubSettings(...))`` on uvicorn.
Every server binds a free port on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from racetrack.core.semver import resolve_job_version


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class SaturatedListener:
    """A port whose accept queue is full: new connections hang, as with an unreachable host."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self._fillers: list[socket.socket] = []
        for _ in range(4):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            try:
                filler.connect(self.sock.getsockname())
            except BlockingIOError:
                pass
            self._fillers.append(filler)
        time.sleep(0.05)

    def close(self) -> None:
        for filler in self._fillers:
            filler.close()
        self.sock.close()


def unused_port() -> int:
    """A port nothing listens on now (another server may take it later: for a dead job's
    address use :class:`DeadAddress`)."""
    with free_socket() as sock:
        return int(sock.getsockname()[1])


class DeadAddress:
    """``host:port`` that refuses connections for as long as this object is open: the port is
    held by a bound socket that never listens, so no server started meanwhile can take it."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # no SO_REUSEADDR: not shareable
        self._sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._sock.getsockname()[1]}"

    def close(self) -> None:
        self._sock.close()


class ServerThread:
    """An ASGI app served by uvicorn in a background thread."""

    def __init__(self, app: Any) -> None:
        self.sock = free_socket()
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        # proxy_headers=False: PUB extends X-Forwarded-For itself with the real peer address
        config = uvicorn.Config(
            app, log_level="warning", lifespan="auto", timeout_graceful_shutdown=1, proxy_headers=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


# ---------------------------------------------------------------- fake Lifecycle


@dataclass
class FakeLifecycle:
    """Answers can-call-job from in-memory jobs, tokens and grants; records every call."""

    jobs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # token → caller description
    public: set[tuple[str, str]] = field(default_factory=set)  # (job name, endpoint)
    calls: list[dict[str, Any]] = field(default_factory=list)
    failure: int | None = None  # answer this status (500, 503 ...) instead of deciding
    maintenance: bool = False
    delay: float = 0.0
    url: str = ""

    def add_job(self, name: str, version: str, replicas: list[str], status: str = "running") -> None:
        self.jobs.setdefault(name, {})[version] = {
            "id": f"{name}-{version}",
            "name": name,
            "version": version,
            "status": status,
            "internal_name": replicas[0] if replicas else None,
            "replica_internal_names": replicas,
            "manifest": {"name": name},
        }

    def reset(self) -> None:
        self.jobs.clear()
        self.tokens.clear()
        self.public.clear()
        self.calls.clear()
        self.failure = None
        self.maintenance = False
        self.delay = 0.0

    async def can_call_job(self, request: Request) -> Response:
        name = request.path_params["name"]
        version = request.path_params["version"]
        endpoint = "/" + request.path_params["endpoint"]
        if len(endpoint) > 1 and endpoint.endswith("/"):
            endpoint = endpoint[:-1]
        self.calls.append(
            {"name": name, "version": version, "endpoint": endpoint, "headers": dict(request.headers)}
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failure is not None:
            return JSONResponse(
                {"error": "Lifecycle is broken"} if self.failure != 502 else None, self.failure
            )
        if self.maintenance:
            return JSONResponse(
                {"error": "Racetrack is currently in maintenance mode. Please try again later."}, 503
            )
        versions = self.jobs.get(name, {})
        running = [v for v, job in versions.items() if job["status"] == "running"]
        resolved = (
            resolve_job_version(running, version) if version in ("latest",) or "x" in version else version
        )
        if resolved is None or resolved not in versions:
            return JSONResponse({"error": f"Job {name} {version} was not found"}, 404)
        job = versions[resolved]
        caller = None
        if endpoint not in ("/health", "/live", "/ready") and (name, endpoint) not in self.public:
            token = request.headers.get("x-racetrack-auth")
            if not token:
                return JSONResponse({"error": "Missing auth token"}, 401)
            if token not in self.tokens:
                return JSONResponse({"error": "Invalid auth token"}, 401)
            caller = self.tokens[token]
        return JSONResponse(
            {"job": job, "caller": caller, "remote_gateway_url": None, "remote_gateway_token": None}
        )

    def app(self) -> Starlette:
        route = Route(
            "/lifecycle/api/v1/auth/can-call-job/{name}/{version}/{endpoint:path}", self.can_call_job
        )
        return Starlette(routes=[route])


# ---------------------------------------------------------------- a job replica


@dataclass
class JobControl:
    """Knobs of the echo job shared with the tests."""

    release_stream: threading.Event = field(default_factory=threading.Event)
    stream_finished: threading.Event = field(default_factory=threading.Event)
    stream_cancelled: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)
    replica: str = ""

    def reset(self) -> None:
        self.release_stream.clear()
        self.stream_finished.clear()
        self.stream_cancelled.clear()
        self.requests.clear()


def job_app(control: JobControl) -> Starlette:
    async def echo(request: Request) -> Response:
        body = await request.body()
        record = {
            "replica": control.replica,
            "method": request.method,
            "path": request.url.path,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "headers": [[k, v] for k, v in request.headers.items()],
            "body": body.decode(errors="replace"),
            "body_length": len(body),
        }
        control.requests.append(record)
        return JSONResponse(record, headers={"X-Job-Header": "yes", "Set-Cookie": "job=1; Path=/"})

    async def stream(request: Request) -> Response:
        async def chunks() -> Any:
            try:
                yield b"first chunk\n"
                deadline = time.monotonic() + 10
                while not control.release_stream.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
                yield b"second chunk\n"
                control.stream_finished.set()
            except asyncio.CancelledError:
                control.stream_cancelled.set()
                raise

        return StreamingResponse(chunks(), media_type="text/plain")

    async def endless(request: Request) -> Response:
        async def chunks() -> Any:
            try:
                while True:
                    yield b"tick\n"
                    await asyncio.sleep(0.02)
            finally:
                control.stream_cancelled.set()

        return StreamingResponse(chunks(), media_type="text/plain")

    async def redirect(request: Request) -> Response:
        name, version = request.path_params["name"], request.path_params["version"]
        host = request.headers["host"]
        return RedirectResponse(f"http://{host}/pub/job/{name}/{version}/echo?from=redirect", status_code=302)

    async def external_redirect(request: Request) -> Response:
        return RedirectResponse("https://example.org/login", status_code=302)

    async def slow(request: Request) -> Response:
        await asyncio.sleep(float(request.query_params.get("seconds", "2")))
        return JSONResponse({"slow": True})

    arrivals: dict[str, int] = {}

    async def meet(request: Request) -> Response:
        """Answers once `size` calls of one `group` are inside at the same time (or after 10 s)."""
        group, size = request.query_params["group"], int(request.query_params["size"])
        arrivals[group] = arrivals.get(group, 0) + 1
        deadline = time.monotonic() + 10
        while arrivals[group] < size and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return JSONResponse({"met": arrivals[group] >= size})

    async def upload(request: Request) -> Response:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return JSONResponse({"received": size})

    async def big(request: Request) -> Response:
        size = int(request.query_params.get("bytes", "1000000"))
        return Response(b"x" * size, media_type="application/octet-stream")

    async def error(request: Request) -> Response:
        return JSONResponse({"error": "job's own failure"}, 500)

    prefix = "/pub/job/{name}/{version}"
    return Starlette(
        routes=[
            Route(prefix + "/stream", stream),
            Route(prefix + "/endless", endless),
            Route(prefix + "/redirect", redirect),
            Route(prefix + "/external-redirect", external_redirect),
            Route(prefix + "/slow", slow),
            Route(prefix + "/meet", meet),
            Route(prefix + "/upload", upload, methods=["POST", "PUT"]),
            Route(prefix + "/big", big),
            Route(prefix + "/error", error),
            Route(
                prefix + "/{rest:path}",
                echo,
                methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"],
            ),
            Route(prefix, echo, methods=["GET", "POST"]),
        ]
    )


@dataclass
class JobReplica:
    address: str  # host:port as Lifecycle reports it
    control: JobControl


def start_replica() -> tuple[JobReplica, ServerThread]:
    control = JobControl()
    server = ServerThread(job_app(control)).start()
    control.replica = f"127.0.0.1:{server.port}"
    return JobReplica(control.replica, control), server


PubFactory = Callable[..., str]
