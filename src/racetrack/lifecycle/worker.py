"""The deployment worker: runs queued deployments in threads, a few at a time.

Every Deployment row records its ``owner``, the instance id of the process that accepted it.
A dispatcher thread claims this process's queued rows (``start_time`` unset) one at a time —
on PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED`` — and runs each in its own thread
(at most ``deployment_workers`` at once); a
heartbeat thread stamps ``heartbeat_time`` on the rows being run. At startup (and then
periodically, from the sync loop) in-progress rows left by a dead process are failed with
"halted due to server restart": on SQLite every row owned by another instance (one process
per database file), on PostgreSQL rows whose heartbeat is older than
``deployment_stale_after``, as other live replicas share the table.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from loguru import logger
from sqlalchemy import and_, delete, func, or_, select, update

from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import Deployment, Job, now
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.deployments import DeploymentStatus
from racetrack.lifecycle.settings import LifecycleSettings

HALTED_MESSAGE = "halted due to server restart"
RunDeployment = Callable[[str, threading.Event], None]
# (target name, job name, job version, deployment id): remove a halted deployment's instances
AbandonDeployment = Callable[[str, str, str, str], None]


class DeploymentWorker:
    """Claims and runs this process's deployments.

    Args:
        db: the database.
        settings: parallel deployments, heartbeat interval, staleness threshold.
        instance_id: this process's id, recorded as each deployment's owner.
        run: runs one claimed deployment to its end (never raises); gets the stop event.
    """

    def __init__(
        self,
        db: Database,
        settings: LifecycleSettings,
        instance_id: str,
        run: RunDeployment,
        abandon: AbandonDeployment | None = None,
    ) -> None:
        self._db = db
        self._settings = settings
        self.instance_id = instance_id
        self._run = run
        self._abandon = abandon
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._slots = threading.Semaphore(settings.deployment_workers)
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._runners: dict[str, threading.Thread] = {}

    def start(self) -> None:
        self.halt_abandoned(at_startup=True)
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._dispatch_loop, name="deployment-dispatcher", daemon=True),
            threading.Thread(target=self._heartbeat_loop, name="deployment-heartbeat", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming; tell running deployments to stop and wait for them up to ``timeout``.

        A deployment busy in a step that cannot be interrupted (a build) is left behind: its
        thread is a daemon, and the next start marks the deployment halted.
        """
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        with self._lock:
            runners = list(self._runners.values())
        deadline = time.monotonic() + timeout
        for runner in runners:
            runner.join(max(0.0, deadline - time.monotonic()))
        if any(runner.is_alive() for runner in runners):
            logger.warning("deployments still running at shutdown were left behind", count=len(runners))

    def wake(self) -> None:
        """A deployment was queued: claim it now rather than at the next poll."""
        self._wake.set()

    @property
    def running(self) -> set[str]:
        with self._lock:
            return set(self._running)

    # -- claiming ------------------------------------------------------------------------------

    def claim_next(self) -> str | None:
        """Mark the oldest queued deployment of this instance as started; its id, or None."""
        with self._db.session() as session:
            query = (
                select(Deployment.id)
                .where(
                    Deployment.status == DeploymentStatus.IN_PROGRESS,
                    Deployment.owner == self.instance_id,
                    Deployment.start_time.is_(None),
                )
                .order_by(Deployment.create_time)
                .limit(1)
            )
            if self._db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            deployment_id = session.scalars(query).first()
            if deployment_id is None:
                return None
            moment = now()
            session.execute(
                update(Deployment)
                .where(Deployment.id == deployment_id)
                .values(start_time=moment, heartbeat_time=moment, update_time=moment)
            )
            return deployment_id

    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            while not self._stop.is_set() and self._slots.acquire(timeout=0.5):
                try:
                    deployment_id = self.claim_next()
                except Exception as e:
                    self._slots.release()
                    logger.opt(exception=e).error("claiming a deployment failed")
                    break
                if deployment_id is None:
                    self._slots.release()
                    break
                runner = threading.Thread(
                    target=self._execute,
                    args=(deployment_id,),
                    name=f"deployment-{deployment_id[:8]}",
                    daemon=True,
                )
                with self._lock:
                    self._running.add(deployment_id)
                    self._runners[deployment_id] = runner
                runner.start()

    def _execute(self, deployment_id: str) -> None:
        try:
            self._run(deployment_id, self._stop)
        except Exception as e:  # run() should not raise; keep the worker alive if it does
            logger.opt(exception=e).error("deployment runner crashed", deployment_id=deployment_id)
        finally:
            with self._lock:
                self._running.discard(deployment_id)
                self._runners.pop(deployment_id, None)
            self._slots.release()
            self._wake.set()

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(self._settings.deployment_heartbeat_interval):
            running = self.running
            if not running:
                continue
            try:
                with self._db.session() as session:
                    session.execute(
                        update(Deployment).where(Deployment.id.in_(running)).values(heartbeat_time=now())
                    )
            except Exception as e:
                logger.warning("deployment heartbeat failed", error=str(e))

    # -- halting -------------------------------------------------------------------------------

    def halt_abandoned(self, *, at_startup: bool = False) -> list[str]:
        """Fail in-progress deployments whose process is gone; returns their ids."""
        stale_before = now() - timedelta(seconds=self._settings.deployment_stale_after)
        last_sign = func.coalesce(Deployment.heartbeat_time, Deployment.update_time)
        not_mine = or_(Deployment.owner.is_(None), Deployment.owner != self.instance_id)
        if self._db.is_postgres or not at_startup:
            abandoned = and_(not_mine, last_sign < stale_before)
        else:
            abandoned = not_mine
        with self._db.session() as session:
            rows = session.scalars(
                select(Deployment).where(Deployment.status == DeploymentStatus.IN_PROGRESS, abandoned)
            ).all()
            for deployment in rows:
                deployment.status = DeploymentStatus.FAILED
                deployment.error = HALTED_MESSAGE
                deployment.update_time = now()
                deployment.secrets_encrypted = None
                deployment.build_context = None
                audit.record(
                    session,
                    audit.AuditEvent.DEPLOYMENT_FAILED,
                    executor=deployment.deployed_by,
                    job_name=deployment.job_name,
                    job_version=deployment.job_version,
                    properties={"deployment_id": deployment.id, "error": HALTED_MESSAGE},
                )
            halted = [deployment.id for deployment in rows]
            leftovers = [(d.infrastructure_target or "", d.job_name, d.job_version, d.id) for d in rows]
            if halted:  # a first deployment's job row never became a job
                session.execute(delete(Job).where(Job.deployment_id.in_(halted), Job.status == "starting"))
        for leftover in leftovers:
            if self._abandon is not None:
                try:
                    self._abandon(*leftover)
                except Exception as e:
                    logger.warning("removing instances of a halted deployment failed", error=str(e))
        if halted:
            logger.warning(
                "deployments halted: their Lifecycle process is gone", deployments=",".join(halted)
            )
        return halted
