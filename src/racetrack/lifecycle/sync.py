"""The supervisor loop: job statuses from the infrastructure targets into the registry.

Every ``sync_interval`` seconds: each target lists its jobs (a target whose listing fails is
logged and its jobs are left as they were); every job of the registry seen there gets the
target's status, error, addresses, stats and a newer last call time; a job missing from its
(listed) target becomes ``lost``; workloads unknown to the registry are counted as
``orphaned``, never adopted — so a deleted job is never revived. Jobs still ``starting``
belong to their deployment and are skipped. The same loop fails deployments left by a
process that died, and refreshes the ``jobs_count_by_status`` gauge.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from loguru import logger
from sqlalchemy import select, update

from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import Job
from racetrack.lifecycle.metrics import LifecycleMetrics
from racetrack.plugins.engine import PluginEngine
from racetrack.plugins.interfaces import JobRecord, JobStatus

DEPRECATED_JOB_TYPE_NOTICE = "This job type version is deprecated since it's not available anymore."


def _moment(timestamp: int | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


class StatusSync:
    """Runs :meth:`sync_once` in a background thread every ``interval`` seconds."""

    def __init__(
        self,
        db: Database,
        plugins: PluginEngine,
        metrics: LifecycleMetrics,
        interval: float,
        also: Callable[[], object] | None = None,
    ) -> None:
        self._db = db
        self._plugins = plugins
        self._metrics = metrics
        self.interval = interval
        self._also = also
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="status-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sync_once()
                if self._also is not None:
                    self._also()
            except Exception as e:
                logger.opt(exception=e).error("status synchronisation failed")

    def _listings(self) -> dict[str, dict[tuple[str, str], JobRecord]]:
        listings: dict[str, dict[tuple[str, str], JobRecord]] = {}
        for name, target in self._plugins.infrastructure_targets().items():
            try:
                listings[name] = {(r.name, r.version): r for r in target.list_jobs()}
            except Exception as e:
                logger.warning(
                    "listing jobs of an infrastructure target failed; skipped", target=name, error=str(e)
                )
        return listings

    def sync_once(self) -> dict[str, int]:
        """One synchronisation; returns the job count per status (orphans included)."""
        listings = self._listings()
        installed_job_types = set(self._plugins.job_types())
        with self._db.session(readonly=True) as session:
            jobs = session.scalars(select(Job)).all()
        seen: set[tuple[str, str, str]] = set()
        counts: Counter[str] = Counter()
        for job in jobs:
            if job.status == JobStatus.STARTING:
                counts[job.status] += 1
                continue
            changes: dict[str, Any] = {}
            listing = listings.get(job.infrastructure_target or "")
            if listing is not None:
                record = listing.get((job.name, job.version))
                if record is None:
                    changes["status"] = str(JobStatus.LOST)
                else:
                    seen.add((job.infrastructure_target or "", job.name, job.version))
                    changes.update(self._observed(job, record))
            if job.job_type_version:
                notice = None if job.job_type_version in installed_job_types else DEPRECATED_JOB_TYPE_NOTICE
                changes["notice"] = notice
            changes = {key: value for key, value in changes.items() if getattr(job, key) != value}
            counts[changes.get("status", job.status)] += 1
            if changes:
                self._write(job, changes)
        orphans = [
            (target, key)
            for target, listing in listings.items()
            for key in listing
            if (target, *key) not in seen and not any(j.name == key[0] and j.version == key[1] for j in jobs)
        ]
        for target, (name, version) in orphans:
            logger.info(
                "orphaned workload: not in the registry, left alone", target=target, job=name, version=version
            )
        counts[str(JobStatus.ORPHANED)] += len(orphans)
        self._metrics.set_job_counts(dict(counts))
        return dict(counts)

    @staticmethod
    def _observed(job: Job, record: JobRecord) -> dict[str, Any]:
        changes: dict[str, Any] = {
            "status": str(record.status),
            "error": record.error or None,
            "internal_name": record.internal_name or job.internal_name,
            "replica_internal_names": ",".join(record.replica_internal_names) or job.replica_internal_names,
        }
        if record.infrastructure_stats:
            changes["infrastructure_stats"] = json.dumps(record.infrastructure_stats)
        last_call = _moment(record.last_call_time)
        if last_call is not None and (job.last_call_time is None or last_call > job.last_call_time):
            changes["last_call_time"] = last_call
        return changes

    def _write(self, job: Job, changes: dict[str, Any]) -> None:
        # Only if no deployment or delete touched the row since it was read.
        with self._db.session() as session:
            result = session.execute(
                update(Job).where(Job.id == job.id, Job.update_time == job.update_time).values(**changes)
            )
        if getattr(result, "rowcount", 1) and "status" in changes:
            logger.info("job status changed", job=job.name, version=job.version, status=changes["status"])
