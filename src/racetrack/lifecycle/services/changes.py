"""One watcher per process telling live views that jobs or deployments changed.

A thread polls the database about once a second, only while someone listens, and bumps a
version number when the jobs' or deployments' latest update time or count changes. Every open
stream (the Dashboard's ``/events``) compares that number without touching the database, so a
hundred open tabs cost one query a second, not a hundred.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from loguru import logger
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import Deployment, Job
from racetrack.lifecycle.metrics import LifecycleMetrics


def changes_marker(db: Database) -> tuple[object, ...]:
    """What changes when jobs or deployments change: latest update times and counts."""
    with db.session(readonly=True) as session:
        jobs = session.execute(select(func.max(Job.update_time), func.count(Job.id))).one()
        deployments = session.execute(
            select(func.max(Deployment.update_time), func.count(Deployment.id))
        ).one()
    return (*jobs, *deployments)


class ChangeFeed:
    """``version`` grows by one whenever jobs or deployments change (polled while listened to)."""

    def __init__(self, db: Database, metrics: LifecycleMetrics, interval: float = 1.0) -> None:
        self._db = db
        self._metrics = metrics
        self.interval = interval
        self.version = 0
        self._marker: tuple[object, ...] | None = None
        self._listeners = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._closed = False

    @contextmanager
    def listening(self) -> Iterator[ChangeFeed]:
        """Keep the watcher polling while the block runs (one open stream)."""
        with self._lock:
            self._listeners += 1
            self._metrics.event_stream_client_connected.inc()
            if not self._closed and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._loop, name="change-feed", daemon=True)
                self._thread.start()
        try:
            yield self
        finally:
            with self._lock:
                self._listeners -= 1
                self._metrics.event_stream_client_disconnected.inc()
                self._metrics.event_stream_client_connected.dec()
                self._wake.notify_all()

    def poll(self) -> None:
        """Look once; bump ``version`` when something changed since the last look."""
        try:
            marker = changes_marker(self._db)
        except SQLAlchemyError as e:  # the database is down: say nothing, try again
            logger.debug("change feed cannot read the database", error=str(e))
            return
        with self._lock:
            if self._marker is not None and marker != self._marker:
                self.version += 1
            self._marker = marker

    def close(self, timeout: float = 5.0) -> None:
        """Stop polling for good and wait for the poller (before the database is disposed)."""
        with self._lock:
            self._closed = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        while True:
            self.poll()
            with self._lock:
                if not self._closed:
                    self._wake.wait(self.interval)
                if self._listeners == 0 or self._closed:
                    self._thread = None
                    self._marker = None  # changes made while nobody listened are not news
                    return
