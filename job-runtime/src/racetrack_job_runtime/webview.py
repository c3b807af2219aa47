"""The webview: the job's own UI app mounted at ``/api/v1/webview``.

``webview_app(base_url)`` may return a WSGI app (2 arguments) or an ASGI app (3 arguments).
They see different paths, as upstream:

- WSGI: the full path ``base_url + <rest>`` whatever prefix or version alias the request came
  through, so routes are declared as ``base_url + "/postme"``;
- ASGI: the path relative to the webview root (``/``, ``/view``), with ``root_path`` set to the
  prefix the request came through, so ``base_url`` is only needed to build links.

Files of the job's ``static/`` directory are served at ``/api/v1/webview/static/<file>`` before
the app sees the request.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from racetrack_job_runtime.errors import InitError
from racetrack_job_runtime.pool import WorkerPool
from racetrack_job_runtime.request import Request
from racetrack_job_runtime.static import DEFAULT_MIMETYPE, guess_mimetype, resolve_in_directory
from racetrack_job_runtime.types import ASGIApp, Receive, Scope, Send

WEBVIEW_PATH = "/api/v1/webview"
STATIC_DIR = "static"


def app_kind(app: Any) -> str:
    """``"wsgi"`` or ``"asgi"``, judged by the callable's arity; InitError for anything else."""
    if not callable(app):
        raise InitError(f"webview app must be a WSGI or ASGI callable, got {type(app).__name__}")
    if inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(type(app).__call__):
        return "asgi"
    try:
        params = inspect.signature(app).parameters.values()
    except (TypeError, ValueError) as e:
        raise InitError(f"cannot inspect the webview app's signature: {e}") from e
    positional = [
        p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(positional) == 2:
        return "wsgi"
    if len(positional) == 3:
        return "asgi"
    raise InitError(
        f"webview app must take 2 arguments (WSGI) or 3 arguments (ASGI), it takes {len(positional)}"
    )


class Webview:
    """A mounted webview app and the job's ``static/`` directory."""

    def __init__(self, app: Any, base_url: str, max_body_bytes: int, static_dir: str = STATIC_DIR) -> None:
        self.kind = app_kind(app)
        self.app = app
        self.base_url = base_url
        self.static_dir = static_dir if os.path.isdir(static_dir) else None
        self._wsgi: Any = None
        if self.kind == "wsgi":
            from racetrack_job_runtime.wsgi import WsgiAdapter  # only webview jobs load the adapter

            self._wsgi = WsgiAdapter(app, max_body_bytes)

    def static_file(self, method: str, rest: str) -> tuple[str, str] | None:
        """``(file, mimetype)`` when ``rest`` names a file of ``static/`` and the method reads."""
        if self.static_dir is None or method not in ("GET", "HEAD") or not rest.startswith("/static/"):
            return None
        file = resolve_in_directory(self.static_dir, rest[len("/static/") :])
        if file is None:
            return None
        return file, guess_mimetype(file) or DEFAULT_MIMETYPE

    async def serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        rest: str,
        prefix: str,
        pool: WorkerPool,
        request: Request,
    ) -> None:
        """Pass the request to the app; ``rest`` is the path below the webview root."""
        if self.kind == "wsgi":
            await self._wsgi(scope, receive, send, self.base_url + rest, pool, request)
            return
        child = dict(scope)
        child["path"] = rest
        child["raw_path"] = rest.encode("utf-8")
        child["root_path"] = scope.get("root_path", "") + prefix + WEBVIEW_PATH
        app: ASGIApp = self.app
        await app(child, receive, send)
