"""Server-sent events: the "something changed" feed and live runtime logs.

``GET /dashboard/events`` sends ``event: changed`` whenever the jobs' or deployments' latest
update (or their count) changes, as the process's one ChangeFeed sees it (it polls the
database about once a second while any stream is open). Every stream ends when the client
disconnects or the server stops (``STOPPING``, set by the server on SIGTERM/SIGINT), so
streams never hold up a shutdown.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from loguru import logger

from racetrack.dashboard.session import PageUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.services.jobs import strip_ansi
from racetrack.lifecycle.state import LifecycleState

router = APIRouter()

STOPPING = threading.Event()
"""Set when the server shuts down: every open stream ends within a second."""
POLL_INTERVAL = 1.0
KEEPALIVE_EVERY = 15  # polls between comment lines keeping proxies from closing the stream
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: str = "") -> str:
    """One server-sent event (``data`` may span lines)."""
    lines = "".join(f"data: {line}\n" for line in (data.splitlines() or [""]))
    return f"event: {event}\n{lines}\n"


async def _changes(request: Request, state: LifecycleState) -> AsyncIterator[str]:
    with state.changes.listening() as feed:
        seen = feed.version
        ticks = 0
        yield "retry: 3000\n\n"
        while not STOPPING.is_set():
            if feed.version != seen:
                seen = feed.version
                yield sse("changed")
            ticks += 1
            if ticks % KEEPALIVE_EVERY == 0:
                yield ": keep-alive\n\n"
            if await _wait(request):
                return


async def _wait(request: Request) -> bool:
    """Sleep one poll interval in small steps; True when the stream must end."""
    for _ in range(10):
        if STOPPING.is_set() or await request.is_disconnected():
            return True
        await anyio.sleep(POLL_INTERVAL / 10)
    return False


@router.get("/events")
def events(request: Request, user: PageUser, state: State) -> StreamingResponse:
    """``event: changed`` whenever jobs or deployments change (carries no data)."""
    return StreamingResponse(_changes(request, state), media_type="text/event-stream", headers=SSE_HEADERS)


def follow_lines(
    request: Request, stream: Callable[[Callable[[], bool]], Iterator[str]]
) -> StreamingResponse:
    """Log lines of a blocking follower as ``event: line`` events until disconnect or shutdown."""

    async def produce() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=1000)
        stopped = threading.Event()

        def stop() -> bool:
            return stopped.is_set() or STOPPING.is_set()

        def follow() -> None:
            try:
                for line in stream(stop):
                    if stop():
                        break
                    asyncio.run_coroutine_threadsafe(queue.put(line), loop).result()
            except Exception as e:  # the target failed: tell the client, end the stream
                if not stop():
                    logger.warning("following job logs failed", error=str(e))
            finally:
                if not stop():
                    asyncio.run_coroutine_threadsafe(queue.put(None), loop)

        threading.Thread(target=follow, name="dashboard-logs", daemon=True).start()
        yield "retry: 5000\n\n"
        try:
            while not STOPPING.is_set() and not await request.is_disconnected():
                try:
                    line = await asyncio.wait_for(queue.get(), timeout=0.5)
                except TimeoutError:
                    continue
                if line is None:
                    yield sse("end")
                    return
                yield sse("line", strip_ansi(line.rstrip("\n")) or " ")
        finally:
            stopped.set()
            while not queue.empty():  # unblock a follower waiting on a full queue
                queue.get_nowait()

    return StreamingResponse(produce(), media_type="text/event-stream", headers=SSE_HEADERS)
