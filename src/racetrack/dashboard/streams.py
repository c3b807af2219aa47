"""Server-sent events: the "something changed" feed and live runtime logs.

``GET /dashboard/events`` sends ``event: changed`` whenever the jobs' or deployments' latest
update (or their count) changes, as the process's one ChangeFeed sees it (it polls the
database about once a second while any stream is open). Every stream ends when the client
disconnects or the server stops (``STOPPING``, set by the server on SIGTERM/SIGINT), so
streams never hold up a shutdown.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from racetrack.dashboard.session import PageUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.api.streaming import Follower, follow_in_thread
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


def follow_lines(request: Request, follower: Follower) -> StreamingResponse:
    """Log lines of a blocking follower as ``event: line`` events until disconnect or shutdown."""

    async def give_up() -> bool:
        return STOPPING.is_set() or await request.is_disconnected()

    async def produce() -> AsyncIterator[str]:
        yield "retry: 5000\n\n"
        async for line in follow_in_thread(follower, give_up):
            if STOPPING.is_set():
                return
            yield sse("line", strip_ansi(line.rstrip("\n")) or " ")
        yield sse("end")

    return StreamingResponse(produce(), media_type="text/event-stream", headers=SSE_HEADERS)
