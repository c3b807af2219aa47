"""Worker threads that run synchronous user code for the event loop.

Leaner than ``loop.run_in_executor``: one asyncio future per call, completed from the worker
with ``call_soon_threadsafe``. Threads start on demand up to ``max_threads`` and are daemons,
so a call that never returns cannot hold the process past a SIGTERM.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, TypeVar

T = TypeVar("T")
_Job = tuple["asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


def _set_result(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class WorkerPool:
    """A bounded pool of daemon threads bound to one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_threads: int) -> None:
        self.loop = loop
        self.max_threads = max_threads
        self._queue: SimpleQueue[_Job | None] = SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0  # workers waiting for a job
        self._pending = 0  # jobs queued and not yet taken

    @property
    def threads(self) -> int:
        return self._threads

    def submit(self, func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``func(*args)`` in a worker; the returned future completes on the loop."""
        future: asyncio.Future[T] = self.loop.create_future()
        with self._lock:
            self._pending += 1
            spawn = self._pending > self._idle and self._threads < self.max_threads
            if spawn:
                self._threads += 1
        self._queue.put((future, func, args))
        if spawn:
            threading.Thread(target=self._work, name=f"job-worker-{self._threads}", daemon=True).start()
        return future

    def _work(self) -> None:
        queue, lock = self._queue, self._lock
        call_soon = self.loop.call_soon_threadsafe
        while True:
            with lock:
                self._idle += 1
            job = queue.get()
            with lock:
                self._idle -= 1
                self._pending -= 1
            if job is None:
                return
            future, func, args = job
            del job
            try:
                outcome: Callable[[asyncio.Future[Any], Any], None] = _set_result
                value: Any = func(*args)
            except BaseException as e:
                outcome, value = _set_exception, e
            try:
                call_soon(outcome, future, value)
            except RuntimeError:  # the loop closed during shutdown
                return
            del future, func, args, value

    def shutdown(self) -> None:
        """Ask idle workers to exit; busy ones are left to finish (they are daemons)."""
        with self._lock:
            self._pending += self._threads
        for _ in range(self._threads):
            self._queue.put(None)
