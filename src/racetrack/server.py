"""Composes the components into servers.

``racetrack up`` (embedded mode) serves Lifecycle, PUB and the deployment worker from one
process on one port: ``/pub/...`` goes to PUB, everything else to Lifecycle (which answers
under ``/lifecycle/...``). PUB still asks Lifecycle over HTTP, as in distributed mode, so
the two stay apart; the Dashboard is mounted inside Lifecycle at ``/dashboard``.
``racetrack serve lifecycle|pub|dashboard`` runs one component alone.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from racetrack.core.logs import configure_logs, env_flag, flush_logs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _ChildLifespan:
    """Drives one child app's ASGI lifespan protocol from the parent's."""

    def __init__(self, app: ASGIApp) -> None:
        self._to_child: asyncio.Queue[Message] = asyncio.Queue()
        self._from_child: asyncio.Queue[Message] = asyncio.Queue()
        self._app = app
        self._task: asyncio.Task[None] | None = None

    async def _exchange(self, scope: Scope, message_type: str) -> Message:
        if self._task is None:
            self._task = asyncio.ensure_future(self._app(scope, self._to_child.get, self._from_child.put))
        await self._to_child.put({"type": message_type})
        reply = asyncio.create_task(self._from_child.get())
        done, _ = await asyncio.wait({reply, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if reply in done:
            return reply.result()
        reply.cancel()
        error = self._task.exception()
        return {"type": f"{message_type}.failed", "message": repr(error)}

    async def startup(self, scope: Scope) -> Message:
        return await self._exchange(scope, "lifespan.startup")

    async def shutdown(self, scope: Scope) -> Message:
        return await self._exchange(scope, "lifespan.shutdown")


class PrefixDispatcher:
    """Routes ``/pub`` to PUB, ``/`` to the Dashboard and everything else to Lifecycle; runs both
    lifespans."""

    def __init__(self, pub_app: ASGIApp, lifecycle_app: ASGIApp, on_started: Callable[[], None]) -> None:
        self.pub_app = pub_app
        self.lifecycle_app = lifecycle_app
        self.on_started = on_started

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == "/pub" or path.startswith("/pub/"):
            await self.pub_app(scope, receive, send)
        elif path == "/":
            await _redirect(send, "/dashboard/")  # people opening the address in a browser
        else:
            await self.lifecycle_app(scope, receive, send)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        children = [_ChildLifespan(self.lifecycle_app), _ChildLifespan(self.pub_app)]
        await receive()  # lifespan.startup
        for child in children:
            reply = await child.startup(scope)
            if reply["type"] != "lifespan.startup.complete":
                await send({"type": "lifespan.startup.failed", "message": reply.get("message", "")})
                return
        await send({"type": "lifespan.startup.complete"})
        self.on_started()
        await receive()  # lifespan.shutdown
        for child in reversed(children):
            await child.shutdown(scope)
        await send({"type": "lifespan.shutdown.complete"})


async def _redirect(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 307, "headers": [(b"location", location.encode())]})
    await send({"type": "http.response.body", "body": b""})


@dataclass
class EmbeddedServer:
    app: PrefixDispatcher
    remote_url: str
    pub_url: str


def _public_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def build_embedded(host: str, port: int, data_dir: Path) -> EmbeddedServer:
    """Create the one-process app for ``racetrack up`` (nothing is started yet)."""
    from racetrack.lifecycle.app import create_app as create_lifecycle_app
    from racetrack.lifecycle.services.crypto import load_cipher
    from racetrack.lifecycle.settings import LifecycleSettings
    from racetrack.lifecycle.state import build_plugin_engine
    from racetrack.pub.app import create_app as create_pub_app
    from racetrack.pub.settings import PubSettings

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{_public_host(host)}:{port}"
    remote_url = f"{base_url}/lifecycle"
    pub_url = f"{base_url}/pub"
    internal_token = "rt_i_" + secrets.token_urlsafe(32)

    settings = LifecycleSettings(
        data_dir=data_dir,
        external_pub_url=os.environ.get("EXTERNAL_PUB_URL", pub_url),
        internal_pub_url=pub_url,
        lifecycle_url=os.environ.get("EXTERNAL_LIFECYCLE_URL", remote_url),
    )
    engine = build_plugin_engine(settings, load_cipher(settings))
    lifecycle_app = create_lifecycle_app(settings, engine, internal_token=internal_token)
    pub_app = create_pub_app(PubSettings(lifecycle_url=remote_url, lifecycle_auth_token=internal_token))

    def banner() -> None:
        logger.info(
            "Racetrack is running",
            remote=remote_url,
            pub=pub_url,
            data_dir=str(data_dir),
        )
        flush_logs()  # buffered log lines first, then the banner
        if env_flag("LOG_STRUCTURED"):
            return  # JSON lines only
        sys.stdout.write(
            f"\n  Racetrack is up.\n"
            f"  Remote (Lifecycle API): {remote_url}\n"
            f"  PUB (job gateway):      {pub_url}\n"
            f"  Dashboard:              {base_url}/dashboard/\n"
            f"  Log in:  racetrack login --username admin --remote {remote_url}\n"
            f"           (password: $RACETRACK_ADMIN_PASSWORD, or the one printed at the first start)\n"
            f"  Deploy:  racetrack deploy samples/python-class --remote {remote_url}\n\n"
        )
        sys.stdout.flush()

    return EmbeddedServer(PrefixDispatcher(pub_app, lifecycle_app, banner), remote_url, pub_url)


def _serve(app: ASGIApp, host: str, port: int) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, then shut down gracefully and return (exit code 0)."""
    import contextlib
    import gc
    import signal
    import socket
    import threading
    from collections.abc import Iterator
    from types import FrameType

    import uvicorn

    class GracefulServer(uvicorn.Server):
        # uvicorn re-raises the captured signal after a graceful shutdown, which ends the
        # process with -SIGTERM; a clean stop on SIGTERM should exit 0.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # end the Dashboard's server-sent event streams, which would hold up the shutdown
            from racetrack.dashboard.streams import STOPPING

            STOPPING.set()
            super().handle_exit(sig, frame)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            # Everything loaded so far lives as long as the process: keep it out of the
            # collector's full passes, which otherwise pause the event loop for ~100 ms.
            gc.collect()
            gc.freeze()

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        proxy_headers=False,  # PUB appends the real peer to X-Forwarded-For itself
        log_config=None,
        timeout_graceful_shutdown=5,
    )
    GracefulServer(config).run()


def run_embedded(host: str = "127.0.0.1", port: int = 7000, data_dir: Path | str | None = None) -> None:
    """``racetrack up``: Lifecycle + PUB + worker + local jobs in this process."""
    configure_logs()
    if data_dir is None:
        data_dir = os.environ.get("RACETRACK_DATA_DIR") or Path.home() / ".racetrack" / "data"
    server = build_embedded(host, port, Path(data_dir))
    _serve(server.app, host, port)


def run_component(name: str, host: str = "0.0.0.0", port: int | None = None) -> None:
    """``racetrack serve lifecycle|pub|dashboard``: one component alone, configured from the environment.

    The Dashboard alone reads Lifecycle's database (same settings: ``DATABASE_URL``,
    ``RACETRACK_SECRET_KEY``...) without running migrations, the worker or the sync loop.
    """
    configure_logs()
    if name == "pub":
        from racetrack.pub.app import create_app as create_pub_app
        from racetrack.pub.settings import PubSettings

        _serve(create_pub_app(PubSettings()), host, port or int(os.environ.get("PUB_PORT", "7205")))
    elif name == "lifecycle":
        from racetrack.lifecycle.app import create_app as create_lifecycle_app
        from racetrack.lifecycle.services.crypto import load_cipher
        from racetrack.lifecycle.settings import LifecycleSettings
        from racetrack.lifecycle.state import build_plugin_engine

        settings = LifecycleSettings()
        engine = build_plugin_engine(settings, load_cipher(settings))
        internal_token = os.environ.get("LIFECYCLE_AUTH_TOKEN")
        app = create_lifecycle_app(settings, engine, internal_token=internal_token)
        _serve(app, host, port or int(os.environ.get("LIFECYCLE_PORT", "7202")))
    elif name == "dashboard":
        from racetrack.dashboard import create_standalone_app
        from racetrack.lifecycle.services.crypto import load_cipher
        from racetrack.lifecycle.settings import LifecycleSettings
        from racetrack.lifecycle.state import build_plugin_engine

        settings = LifecycleSettings()
        engine = build_plugin_engine(settings, load_cipher(settings))
        app = create_standalone_app(settings, engine)
        _serve(app, host, port or int(os.environ.get("DASHBOARD_PORT", "7203")))
    else:
        raise ValueError(f"unknown component '{name}': expected 'lifecycle', 'pub' or 'dashboard'")
