"""A small fake of Lifecycle and PUB on a real loopback socket, for CLI tests.

It serves the endpoints the CLI uses under ``/lifecycle/api/v1`` (and ``/pub/job/...``) with
canned but realistic answers, enforces ``X-Racetrack-Auth`` like the real server, and records
every request so tests can assert exact payloads.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ADMIN_TOKEN = "rt-user-admin-token"
JANE_TOKEN = "rt-user-jane-token"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def make_job(base_url: str, name: str, version: str, **fields: Any) -> dict[str, Any]:
    now = int(time.time())
    job = {
        "id": f"{name}-{version}-id",
        "name": name,
        "version": version,
        "status": "running",
        "create_time": now - 3600,
        "update_time": now - 300,
        "manifest": {"name": name, "version": version, "jobtype": "python3:2.4.0"},
        "manifest_yaml": f"name: {name}\nversion: {version}\n",
        "internal_name": "127.0.0.1:7100",
        "error": None,
        "notice": None,
        "image_tag": "2024-01-01T000000",
        "pub_url": f"{base_url}/pub/job/{name}/{version}",
        "deployed_by": "admin@example.com",
        "last_call_time": None,
        "infrastructure_target": "local",
        "replica_internal_names": ["127.0.0.1:7100"],
        "job_type_version": "python3:2.4.0",
    }
    job.update(fields)
    return job


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("-")[0].split("."))


@dataclass
class FakeLifecycle:
    """State of the fake; tests tweak the public attributes before running the CLI."""

    auth_required: bool = True
    tokens: dict[str, str] = field(
        default_factory=lambda: {ADMIN_TOKEN: "admin@example.com", JANE_TOKEN: "jane@example.com"}
    )
    passwords: dict[str, str] = field(default_factory=lambda: {"jane@example.com": "s3cret-pass"})
    jobs: list[dict[str, Any]] = field(default_factory=list)
    phases: list[str] = field(
        default_factory=lambda: ["building image", "fetching the source code", "starting Job server"]
    )
    deployment_error: str | None = None
    deploy_reject: tuple[int, str] | None = None
    logs: str = "line 1\nline 2\nline 3\n"
    build_logs: str = "Step 1/3: FROM python\nStep 2/3: RUN pip install\nStep 3/3: done\n"
    stream_lines: list[str] = field(default_factory=lambda: ["stream 1", "stream 2", "stream 3"])
    stream_hold: bool = False
    external_pub_url: str | None = "default"
    requests: list[RecordedRequest] = field(default_factory=list)
    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    """Audit events, newest first, as ``GET /audit/activity`` answers them."""
    deployment_list: list[dict[str, Any]] = field(default_factory=list)
    """What ``GET /deploy`` answers (newest update first)."""
    users: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"username": "admin@example.com", "is_active": True, "is_staff": True},
            {"username": "jane@example.com", "is_active": True, "is_staff": False},
        ]
    )
    """What ``GET /users`` answers; ``PATCH /users/{name}`` changes it."""
    permissions: list[dict[str, Any]] = field(default_factory=list)
    public_endpoints: list[dict[str, Any]] = field(default_factory=list)
    maintenance: bool = False
    url: str = ""
    tls: tuple[str, str] | None = None
    """(certfile, keyfile): serve HTTPS instead of HTTP."""
    _server: ThreadingHTTPServer | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def lifecycle_url(self) -> str:
        return f"{self.url}/lifecycle"

    def requests_to(self, method: str, path_suffix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    def add_job(self, name: str, version: str, **fields: Any) -> dict[str, Any]:
        job = make_job(self.url, name, version, **fields)
        self.jobs.append(job)
        return job

    # -- server lifecycle -------------------------------------------------------------

    def start(self) -> FakeLifecycle:
        fake = self

        class Handler(_Handler):
            state = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        scheme = "http"
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
        if self.external_pub_url == "default":
            self.external_pub_url = f"{self.url}/pub"
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- routing ------------------------------------------------------------------------

    def handle(self, request: RecordedRequest, handler: _Handler) -> tuple[int, Any]:
        path = request.path
        if path.startswith("/pub/job/"):
            return self._pub_call(request)
        prefix = "/lifecycle/api/v1/"
        if not path.startswith(prefix):
            return 404, {"error": f"no route for {path}", "type": "NotFoundError"}
        route = [unquote(part) for part in path[len(prefix) :].split("/")]
        method = request.method

        if route == ["info"] and method == "GET":
            return 200, {
                "service": "lifecycle",
                "git_version": "test",
                "docker_tag": "test",
                "auth_required": self.auth_required,
                "external_pub_url": self.external_pub_url,
                "lifecycle_url": self.lifecycle_url,
                "grafana_url": None,
            }
        if route == ["users", "login"] and method == "POST":
            body = request.json()
            username = body.get("username")
            if self.passwords.get(username) != body.get("password"):
                return 401, {"error": "incorrect username or password", "type": "AuthenticationError"}
            token = next(t for t, user in self.tokens.items() if user == username)
            return 200, {"username": username, "token": token, "is_staff": False}

        user = self.tokens.get(request.headers.get("x-racetrack-auth", ""))
        if user is None and (self.auth_required or route == ["users", "validate_user_auth"]):
            return 401, {"error": "missing or invalid auth token", "type": "AuthenticationError"}

        if route == ["users", "validate_user_auth"] and method == "GET":
            return 200, {"username": user, "token": request.headers["x-racetrack-auth"], "is_staff": True}
        if route == ["deploy"] and method == "POST":
            return self._deploy(request)
        if len(route) == 2 and route[0] == "deploy" and method == "GET":
            return self._deployment(route[1])
        if route == ["job"] and method == "GET":
            return 200, self.jobs
        if route == ["deploy"] and method == "GET":
            return 200, self.deployment_list[: int(request.query.get("limit", "100"))]
        if route == ["audit", "activity"] and method == "GET":
            return 200, self._activity(request, user)
        if len(route) >= 3 and route[0] == "job":
            return self._job_route(route[1], route[2], route[3:], request, handler)
        if route[0] in ("users", "permissions", "public-endpoints", "settings"):
            return self._admin(route, request, user)
        return 404, {"error": f"no route for {method} {path}", "type": "NotFoundError"}

    def _admin(self, route: list[str], request: RecordedRequest, user: str | None) -> tuple[int, Any]:
        """The administration API: staff only (``admin@example.com``), like the real server."""
        staff = {u["username"] for u in self.users if u["is_staff"]}
        if user not in staff:
            return 401, {"error": f"User {user} is not a staff member", "type": "PermissionDeniedError"}
        method = request.method
        if route == ["users"] and method == "GET":
            return 200, self.users
        if len(route) == 2 and route[0] == "users" and method == "PATCH":
            found = next((u for u in self.users if u["username"] == route[1]), None)
            if found is None:
                return 404, {"error": f"user {route[1]} does not exist", "type": "NotFoundError"}
            found.update({k: v for k, v in request.json().items() if k in ("is_active", "is_staff")})
            return 200, found
        if route == ["permissions"] and method == "GET":
            return 200, [
                grant
                for grant in self.permissions
                if all(grant[key] == value for key, value in request.query.items())
            ]
        if route == ["permissions"] and method == "POST":
            body = request.json()
            if body["scope"] not in ("read_job", "call_job", "full_access"):
                return 400, {"error": f"unknown scope: {body['scope']!r}", "type": "InvalidInputError"}
            grant = {"id": len(self.permissions) + 1, **body}
            self.permissions.append(grant)
            return 200, grant
        if len(route) == 2 and route[0] == "permissions" and method == "DELETE":
            found = next((g for g in self.permissions if str(g["id"]) == route[1]), None)
            if found is None:
                return 404, {"error": f"permission {route[1]} does not exist", "type": "NotFoundError"}
            self.permissions.remove(found)
            return 200, None
        if route == ["public-endpoints"] and method == "GET":
            job = request.query.get("job_name")
            active = request.query.get("active")
            return 200, [
                r
                for r in self.public_endpoints
                if (job is None or r["job_name"] == job)
                and (active is None or str(r["active"]).lower() == active)
            ]
        if len(route) == 3 and route[0] == "public-endpoints" and method == "POST":
            found = next((r for r in self.public_endpoints if r["id"] == route[1]), None)
            if found is None:
                return 404, {
                    "error": f"public endpoint request {route[1]} does not exist",
                    "type": "NotFoundError",
                }
            found["active"] = route[2] == "activate"
            return 200, found
        if route == ["settings", "maintenance"] and method == "GET":
            return 200, {"enabled": self.maintenance}
        if route == ["settings", "maintenance"] and method == "PUT":
            self.maintenance = bool(request.json()["enabled"])
            return 200, {"enabled": self.maintenance}
        return 404, {"error": f"no route for {method} {request.path}", "type": "NotFoundError"}

    def _activity(self, request: RecordedRequest, user: str | None) -> dict[str, Any]:
        name = request.query.get("job_name") or None
        version = request.query.get("job_version") or None
        mine = request.query.get("related_to_me", "").lower() in {"true", "yes", "1"}
        events = [
            event
            for event in self.events
            if (name is None or event.get("job_name") == name)
            and (version is None or event.get("job_version") == version)
            and (not mine or user in (event.get("username_executor"), event.get("username_subject")))
        ]
        return {
            "filter_job_name": name,
            "filter_job_version": version,
            "filter_related_to_me": mine,
            "events": events[:100],
        }

    def _deploy(self, request: RecordedRequest) -> tuple[int, Any]:
        if self.deploy_reject is not None:
            status, message = self.deploy_reject
            return status, {"error": message, "type": "AlreadyExistsError"}
        body = request.json()
        deployment_id = f"dep-{len(self.deployments) + 1}"
        self.deployments[deployment_id] = {"polls": 0, "manifest": body["manifest"]}
        return 200, {"id": deployment_id}

    def _deployment(self, deployment_id: str) -> tuple[int, Any]:
        deployment = self.deployments.get(deployment_id)
        if deployment is None:
            return 404, {"error": f"deployment {deployment_id} not found", "type": "NotFoundError"}
        manifest = deployment["manifest"]
        index = deployment["polls"]
        deployment["polls"] += 1
        base = {
            "id": deployment_id,
            "job_name": manifest["name"],
            "job_version": manifest.get("version", "0.0.1"),
            "error": None,
            "phase": None,
        }
        if index < len(self.phases):
            return 200, {**base, "status": "in_progress", "phase": self.phases[index]}
        if self.deployment_error is not None:
            return 200, {**base, "status": "failed", "error": self.deployment_error}
        job = self.add_job(manifest["name"], manifest.get("version", "0.0.1"))
        return 200, {**base, "status": "done", "job": job}

    def _find_job(self, name: str, version: str) -> dict[str, Any] | None:
        candidates = [job for job in self.jobs if job["name"] == name]
        if version == "latest":
            candidates.sort(key=lambda job: _version_key(job["version"]))
            return candidates[-1] if candidates else None
        return next((job for job in candidates if job["version"] == version), None)

    def _job_route(
        self, name: str, version: str, rest: list[str], request: RecordedRequest, handler: _Handler
    ) -> tuple[int, Any]:
        job = self._find_job(name, version)
        if job is None:
            return 404, {"error": f"Job {name} v{version} not found", "type": "NotFoundError"}
        method = request.method
        if not rest and method == "GET":
            return 200, job
        if not rest and method == "DELETE":
            self.jobs.remove(job)
            return 200, None
        if rest == ["logs"] and method == "GET":
            tail = int(request.query.get("tail", "20"))
            lines = self.logs.splitlines()
            return 200, {"logs": "\n".join(lines[-tail:] if tail else lines)}
        if rest == ["build-logs"] and method == "GET":
            tail = int(request.query.get("tail", "0"))
            lines = self.build_logs.splitlines()
            return 200, {"logs": "\n".join(lines[-tail:] if tail else lines)}
        if rest == ["logs", "stream"] and method == "GET":
            handler.send_stream(self.stream_lines, hold=self.stream_hold, stopping=self._stopping)
            return -1, None
        return 404, {"error": "no such job route", "type": "NotFoundError"}

    def _pub_call(self, request: RecordedRequest) -> tuple[int, Any]:
        parts = request.path.split("/")  # ['', 'pub', 'job', name, version, *endpoint]
        name, version, endpoint = parts[3], parts[4], "/" + "/".join(parts[5:])
        if self.tokens.get(request.headers.get("x-racetrack-auth", "")) is None:
            return 401, {"error": "Unauthorized: missing or invalid token", "type": "AuthenticationError"}
        if self._find_job(name, version) is None:
            return 404, {"error": f"job {name} v{version} not found", "type": "NotFoundError"}
        body = request.json() if request.body else None
        if endpoint == "/api/v1/perform" and isinstance(body, dict) and "numbers" in body:
            return 200, sum(body["numbers"])
        return 200, {"endpoint": endpoint, "received": body}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    state: FakeLifecycle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _handle(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RecordedRequest(
            method=self.command,
            path=split.path,
            query={key: values[-1] for key, values in parse_qs(split.query).items()},
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        self.state.requests.append(request)
        status, payload = self.state.handle(request, self)
        if status < 0:
            return
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def send_stream(self, lines: list[str], *, hold: bool, stopping: threading.Event) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for line in lines:
                chunk = (line + "\n").encode()
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
                time.sleep(0.01)
            while hold and not stopping.wait(0.05):
                pass
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True
