"""Streaming a blocking log follower (a target's ``follow_logs``) to an async response."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from loguru import logger

Follower = Callable[[Callable[[], bool]], Iterator[str]]
"""Yields lines until the ``stop()`` it is given returns True."""
_END = object()


async def follow_in_thread(
    follower: Follower, give_up: Callable[[], Awaitable[bool]] | None = None, check_every: float = 0.5
) -> AsyncIterator[str]:
    """The follower's lines, produced in a thread of their own.

    Ends when the follower ends (or fails: logged), when ``give_up()`` says so (asked every
    ``check_every`` seconds without a line), or when the consumer stops iterating; the follower
    is told to stop in every case.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=1000)
    stopped = threading.Event()

    def produce() -> None:
        try:
            for line in follower(stopped.is_set):
                if stopped.is_set():
                    break
                asyncio.run_coroutine_threadsafe(queue.put(line), loop).result()
        except Exception as e:
            if not stopped.is_set():
                logger.warning("following job logs failed", error=str(e))
        finally:
            if not stopped.is_set():
                asyncio.run_coroutine_threadsafe(queue.put(_END), loop)

    threading.Thread(target=produce, name="logs-follower", daemon=True).start()
    try:
        while True:
            try:
                item = (
                    await asyncio.wait_for(queue.get(), timeout=check_every) if give_up else await queue.get()
                )
            except TimeoutError:
                if give_up is not None and await give_up():
                    return
                continue
            if item is _END:
                return
            yield str(item)
    finally:
        stopped.set()
        while not queue.empty():  # unblock a producer waiting on a full queue
            queue.get_nowait()
