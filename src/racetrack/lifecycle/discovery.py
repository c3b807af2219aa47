"""Prometheus discovery of the running jobs: a ``file_sd`` file the status loop keeps current.

``<plugins_dir>/metrics/sd_config_jobs.yaml`` lists one target group per running job, its
replicas' addresses with ``job_name`` and ``job_version`` labels; a Prometheus sharing the
directory scrapes every replica's ``/metrics`` (see ``deploy/prometheus/prometheus.yml``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import Job
from racetrack.plugins.interfaces import JobStatus

DISCOVERY_FILE = Path("metrics") / "sd_config_jobs.yaml"


def target_groups(db: Database) -> list[dict[str, Any]]:
    """One Prometheus target group per running job (replica addresses, name and version labels)."""
    with db.session(readonly=True) as session:
        jobs = session.scalars(
            select(Job).where(Job.status == str(JobStatus.RUNNING)).order_by(Job.name, Job.version)
        ).all()
        groups = []
        for job in jobs:
            replicas = [a for a in (job.replica_internal_names or "").split(",") if a] or (
                [job.internal_name] if job.internal_name else []
            )
            if replicas:
                groups.append(
                    {"targets": replicas, "labels": {"job_name": job.name, "job_version": job.version}}
                )
        return groups


class JobDiscovery:
    """Rewrites the discovery file when the running jobs change (atomically: Prometheus never
    reads half a file)."""

    def __init__(self, db: Database, plugins_dir: Path) -> None:
        self._db = db
        self.path = plugins_dir / DISCOVERY_FILE
        self._written: str | None = None

    def write(self) -> bool:
        """Write the file if its content changed; whether it did."""
        text = yaml.safe_dump(target_groups(self._db), sort_keys=False)
        if text == self._written and self.path.is_file():
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)
        self._written = text
        return True
