"""A small WSGI→ASGI adapter for webview apps (Flask and friends).

The request body is read first (bounded by the body limit), then the WSGI app runs in a worker
thread; its response is streamed back chunk by chunk, the first chunk together with the
status line, so a one-chunk response costs one hop back to the event loop.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from racetrack_job_runtime.pool import WorkerPool
from racetrack_job_runtime.request import Request, request_context
from racetrack_job_runtime.responses import read_body
from racetrack_job_runtime.types import Message, Receive, Scope, Send

logger = logging.getLogger("racetrack_job_runtime")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def build_environ(scope: Scope, body: bytes, path_info: str) -> dict[str, Any]:
    """The PEP 3333 environ of an ASGI HTTP request, with ``PATH_INFO`` as given."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": path_info.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]) if server[1] is not None else "80",
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0] if client else "",
        "REMOTE_PORT": str(client[1]) if client else "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "CONTENT_LENGTH":
            continue
        key = "HTTP_" + name
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


async def _send_all(send: Send, messages: list[Message]) -> None:
    for message in messages:
        await send(message)


class WsgiAdapter:
    """Serves a WSGI app from an ASGI server, running it on the worker pool."""

    def __init__(self, app: WSGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, path_info: str, pool: WorkerPool, request: Request
    ) -> None:
        body = await read_body(receive, self.max_body_bytes)
        environ = build_environ(scope, body, path_info)
        await pool.submit(self._run, environ, send, pool.loop, request)

    def _run(
        self, environ: dict[str, Any], send: Send, loop: asyncio.AbstractEventLoop, request: Request
    ) -> None:
        status_headers: list[Any] = []
        written: list[bytes] = []
        started = False

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            status_headers[:] = [int(status.split(" ", 1)[0]), headers]
            return written.append

        def deliver(messages: list[Message]) -> None:
            asyncio.run_coroutine_threadsafe(_send_all(send, messages), loop).result()

        def start_message() -> Message:
            code, headers = status_headers
            return {
                "type": "http.response.start",
                "status": code,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }

        token = request_context.set(request)
        try:
            result = self.app(environ, start_response)
            try:
                pending: bytes | None = None
                for chunk in result:
                    if written:
                        chunk = b"".join(written) + chunk
                        written.clear()
                    if not chunk:
                        continue
                    if pending is not None:
                        messages: list[Message] = []
                        if not started:
                            messages.append(start_message())
                            started = True
                        messages.append({"type": "http.response.body", "body": pending, "more_body": True})
                        deliver(messages)
                    pending = chunk
                final = (pending or b"") + b"".join(written)
                end: list[Message] = []
                if not started:
                    end.append(start_message())
                    started = True
                end.append({"type": "http.response.body", "body": final, "more_body": False})
                deliver(end)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:
            logger.exception("webview app failed: %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"])
            if not started:
                deliver(
                    [
                        {
                            "type": "http.response.start",
                            "status": 500,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                        },
                        {"type": "http.response.body", "body": b"Internal Server Error"},
                    ]
                )
        finally:
            request_context.reset(token)
