"""Running a job: uvicorn (httptools, uvloop) serving ``JobApp`` with two-phase startup.

The server answers ``/live`` and ``/ready`` at once; a daemon thread imports and builds the
entrypoint meanwhile, then swaps the job in on the event loop. SIGTERM and SIGINT stop the
server, giving in-flight requests up to ``GRACEFUL_SHUTDOWN_SECONDS``.
"""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import sys
import threading
from typing import Any

from racetrack_job_runtime.app import JobApp
from racetrack_job_runtime.errors import exception_message, summarize
from racetrack_job_runtime.job import load_job
from racetrack_job_runtime.logs import configure_logging
from racetrack_job_runtime.settings import Settings

logger = logging.getLogger("racetrack_job_runtime")
GRACEFUL_SHUTDOWN_SECONDS = 3


class ForbiddenStdin(io.TextIOBase):
    """Replaces ``sys.stdin``: any read raises, so ``input()`` fails loudly instead of hanging."""

    message = "reading from stdin is forbidden in a job: it has no standard input"

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        raise EOFError(self.message)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        raise EOFError(self.message)

    def readlines(self, hint: int = -1) -> list[str]:  # type: ignore[override]
        raise EOFError(self.message)

    def isatty(self) -> bool:
        return False


def initialize_in_background(
    app: JobApp, loop: asyncio.AbstractEventLoop, entrypoint_path: str, class_name: str | None
) -> threading.Thread:
    """Start the daemon thread that loads the job and reports to ``app`` on the loop."""

    def initialize() -> None:
        try:
            job = load_job(entrypoint_path, class_name, app.settings, app.metrics)
        except BaseException as e:
            summary = summarize(e)
            logger.error("Job initialization failed: %s", exception_message(e), exc_info=e)
            loop.call_soon_threadsafe(app.set_failed, summary)
        else:
            # The job's objects (a model, say) live as long as the process: keep them out of
            # the collector's full passes, which would otherwise pause requests.
            gc.collect()
            gc.freeze()
            loop.call_soon_threadsafe(app.set_ready, job)

    thread = threading.Thread(target=initialize, name="job-init", daemon=True)
    thread.start()
    return thread


def _loop_factory() -> Any:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(
    entrypoint_path: str,
    class_name: str | None = None,
    host: str = "0.0.0.0",
    port: int = 7000,
    settings: Settings | None = None,
) -> None:
    """Serve the job until SIGTERM/SIGINT."""
    import uvicorn

    settings = settings or Settings.from_env()
    configure_logging(settings)
    sys.stdin = ForbiddenStdin()
    app = JobApp(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="none",
        http="httptools",
        ws="none",
        lifespan="off",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = uvicorn.Server(config)
    logger.info(
        "Starting job %s from %s on %s:%d",
        f"{settings.job_name} {settings.job_version}".strip() or "(unnamed)",
        entrypoint_path,
        host,
        port,
    )

    async def serve() -> None:
        initialize_in_background(app, asyncio.get_running_loop(), entrypoint_path, class_name)
        await server.serve()

    factory = _loop_factory()
    if factory is not None:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(serve())
    else:
        asyncio.run(serve())
