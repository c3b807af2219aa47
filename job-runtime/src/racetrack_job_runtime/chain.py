"""Chain calls: a job calling another job through the gateway (PUB).

``call_job("adder", payload={"numbers": [1, 2]})`` POSTs to
``<PUB_URL>/job/adder/latest/api/v1/perform`` with the job family's ``AUTH_TOKEN``, copies the
current request's tracing id and caller name headers, and returns the parsed JSON answer.
Connections are kept alive and reused (one small pool per process, thread-safe); each call has
an explicit timeout, 10 seconds unless told otherwise (``None`` waits forever).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import threading
from typing import Any, overload
from urllib.parse import quote, urlsplit

from racetrack_job_runtime.request import request_context

DEFAULT_TIMEOUT = 10.0
MAX_IDLE_PER_HOST = 16
_RETRYABLE = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
    http.client.BadStatusLine,
)


class _ConnectionPool:
    """Idle keep-alive connections per (scheme, host, port)."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def _take(
        self, key: tuple[str, str, int], timeout: float | None
    ) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                conn = idle.pop()
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                return conn, True
        scheme, host, port = key
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=timeout), False
        return http.client.HTTPConnection(host, port, timeout=timeout), False

    def _give_back(self, key: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE_PER_HOST:
                idle.append(conn)
                return
        conn.close()

    def request(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float | None
    ) -> tuple[int, str, bytes]:
        parts = urlsplit(url)
        scheme = parts.scheme or "http"
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, parts.hostname or "localhost", port)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):
            conn, reused = self._take(key, timeout)
            try:
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except _RETRYABLE:
                conn.close()
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: retry on a new one
                raise
            except BaseException:
                conn.close()
                raise
            if response.will_close:
                conn.close()
            else:
                self._give_back(key, conn)
            return response.status, response.reason, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            for connections in self._idle.values():
                for conn in connections:
                    conn.close()
            self._idle.clear()


_pool = _ConnectionPool()


def _propagated_headers() -> dict[str, str]:
    request = request_context.get(None)
    if request is None:
        return {}
    headers: dict[str, str] = {}
    tracing_header = os.environ.get("REQUEST_TRACING_HEADER", "").strip() or "X-Request-Tracing-Id"
    caller_header = os.environ.get("CALLER_NAME_HEADER", "").strip() or "X-Caller-Name"
    tracing = request.tracing_id or request.headers.get(tracing_header)
    caller = request.caller_name or request.headers.get(caller_header)
    if tracing:
        headers[tracing_header] = tracing
    if caller:
        headers[caller_header] = caller
    return headers


@overload
def call_job(
    job_name: str,
    path: str = ...,
    payload: Any = ...,
    version: str = ...,
    method: str = ...,
    timeout: float | None = ...,
) -> Any: ...


@overload
def call_job(
    entrypoint: object,
    job_name: str,
    path: str = ...,
    payload: Any = ...,
    version: str = ...,
    method: str = ...,
    timeout: float | None = ...,
) -> Any: ...


def call_job(*args: Any, **kwargs: Any) -> Any:
    """Call another job through the gateway and return its parsed JSON answer.

    Args:
        job_name: name of the job to call. Upstream's form ``call_job(self, job_name, ...)``,
            with the entrypoint instance first, is accepted too.
        path: endpoint path of the called job (default ``/api/v1/perform``).
        payload: JSON-encodable body; ``None`` (default) sends no body.
        version: exact version or an alias such as ``latest`` (default) or ``1.x``.
        method: HTTP method (default ``POST``).
        timeout: seconds to wait for connecting and for each read (default 10); ``None``
            waits forever.

    Raises:
        RuntimeError: ``JOB_NAME``/``PUB_URL`` is not set, the call failed or answered an error.
    """
    if args and not isinstance(args[0], str):
        args = args[1:]
    return _call_job(*args, **kwargs)


def _call_job(
    job_name: str,
    path: str = "/api/v1/perform",
    payload: Any = None,
    version: str = "latest",
    method: str = "POST",
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Any:
    this_job = os.environ.get("JOB_NAME", "")
    if not this_job:
        raise RuntimeError("JOB_NAME env var is not set")
    pub_url = os.environ.get("PUB_URL", "").rstrip("/")
    if not pub_url:
        raise RuntimeError("PUB_URL env var is not set")
    url = f"{pub_url}/job/{quote(job_name)}/{quote(version)}/{path.lstrip('/')}"
    headers = {"Accept": "application/json", **_propagated_headers()}
    token = os.environ.get("AUTH_TOKEN", "")
    if token:
        headers["X-Racetrack-Auth"] = token
    body = None
    if payload is not None:
        body = json.dumps(payload).encode("utf-8")
        headers["Content-Type"] = "application/json"
    where = f'failed to call job "{job_name} {version}" by {this_job}'
    try:
        status, reason, data = _pool.request(method.upper(), url, body, headers, timeout)
    except Exception as e:
        raise RuntimeError(f"{where}: {type(e).__name__}: {e}") from e
    text = data.decode("utf-8", errors="replace")
    if status >= 400:
        raise RuntimeError(f"{where}: {status} {reason} for url {url}: {text}")
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError as e:
        raise RuntimeError(f"{where}: response is not JSON: {text[:200]}") from e


async def call_job_async(*args: Any, **kwargs: Any) -> Any:
    """Coroutine twin of :func:`call_job` (same arguments); the blocking call runs in a thread."""
    return await asyncio.to_thread(call_job, *args, **kwargs)
