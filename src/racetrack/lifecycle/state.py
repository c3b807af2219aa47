"""Everything one Lifecycle app holds, built once by the app factory and shared by the routers."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from loguru import logger

from racetrack.lifecycle.db import Database
from racetrack.lifecycle.discovery import JobDiscovery
from racetrack.lifecycle.janitor import EnvironmentJanitor
from racetrack.lifecycle.metrics import LifecycleMetrics
from racetrack.lifecycle.pipeline import ArtifactBuilder, DeploymentPipeline, LocalArtifactBuilder
from racetrack.lifecycle.services.auth import AuthService
from racetrack.lifecycle.services.changes import ChangeFeed
from racetrack.lifecycle.services.crypto import Cipher, load_cipher
from racetrack.lifecycle.services.deployments import DeploymentService
from racetrack.lifecycle.services.jobs import JobService
from racetrack.lifecycle.services.login_limits import LoginRateLimiter
from racetrack.lifecycle.services.users import UserService
from racetrack.lifecycle.settings import LifecycleSettings
from racetrack.lifecycle.sync import StatusSync
from racetrack.lifecycle.worker import DeploymentWorker
from racetrack.plugins.bundles import PluginStore
from racetrack.plugins.engine import PluginEngine


class DatabaseProbe:
    """Checks the database in the background; /health and metrics read the cached answer."""

    def __init__(self, db: Database, metrics: LifecycleMetrics, interval: float) -> None:
        self._db = db
        self._metrics = metrics
        self.interval = interval
        self.connected = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        connected = self._db.ping()
        if connected != self.connected:
            (logger.info if connected else logger.error)(
                "database connection " + ("up" if connected else "lost"), dialect=self._db.dialect
            )
        self.connected = connected
        self._metrics.database_connected.set(1 if connected else 0)
        return connected

    def start(self) -> None:
        self.check()
        if self.interval > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="database-probe", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


def build_plugin_engine(settings: LifecycleSettings, cipher: Cipher) -> PluginEngine:
    """The plugin engine of a Lifecycle process: entry-point plugins plus the ZIP bundles."""
    return PluginEngine(
        settings.data_dir / "plugins",
        settings.plugins,
        cipher.encrypt,
        cipher.decrypt,
        store=PluginStore(settings.resolved_plugins_dir),
    )


@dataclass
class LifecycleState:
    settings: LifecycleSettings
    plugins: PluginEngine
    db: Database
    cipher: Cipher
    metrics: LifecycleMetrics
    auth: AuthService
    users: UserService
    jobs: JobService
    deployments: DeploymentService
    pipeline: DeploymentPipeline
    worker: DeploymentWorker
    sync: StatusSync
    db_probe: DatabaseProbe
    changes: ChangeFeed
    instance_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def build(
        cls,
        settings: LifecycleSettings,
        plugins: PluginEngine,
        *,
        internal_token: str | None = None,
        builder: ArtifactBuilder | None = None,
    ) -> LifecycleState:
        """Wire every part together (nothing is started yet)."""
        instance_id = uuid.uuid4().hex
        db = Database(settings.resolved_database_url, pool_size=max(10, settings.deployment_workers + 6))
        cipher = load_cipher(settings)
        metrics = LifecycleMetrics()
        auth = AuthService(db, cipher, internal_token)
        users = UserService(
            db,
            auth,
            LoginRateLimiter(
                db,
                settings.login_attempts_limit,
                settings.login_attempts_window,
                settings.login_attempts_per_client_limit,
            ),
        )
        artifact_builder = builder or LocalArtifactBuilder(settings.data_dir)
        pipeline = DeploymentPipeline(
            db=db,
            settings=settings,
            plugins=plugins,
            auth=auth,
            cipher=cipher,
            metrics=metrics,
            builder=artifact_builder,
        )
        worker = DeploymentWorker(db, settings, instance_id, pipeline.run, abandon=pipeline.abandon)
        deployments = DeploymentService(db, settings, plugins, cipher, metrics, instance_id, worker.wake)
        janitor = (
            EnvironmentJanitor(
                artifact_builder.envs_dir,
                plugins,
                settings.environment_retention,
                settings.environment_prune_interval,
            )
            if isinstance(artifact_builder, LocalArtifactBuilder)
            else None
        )

        discovery = JobDiscovery(db, settings.resolved_plugins_dir)

        def housekeeping() -> None:
            plugins.reload_if_changed()  # bundles changed by another Lifecycle process
            worker.halt_abandoned()
            discovery.write()
            if janitor is not None:
                janitor.maybe_prune()

        sync = StatusSync(db, plugins, metrics, settings.sync_interval, also=housekeeping)
        return cls(
            settings=settings,
            plugins=plugins,
            db=db,
            cipher=cipher,
            metrics=metrics,
            auth=auth,
            users=users,
            jobs=JobService(db, settings, plugins, auth),
            deployments=deployments,
            pipeline=pipeline,
            worker=worker,
            sync=sync,
            db_probe=DatabaseProbe(db, metrics, settings.database_status_refresh_interval),
            changes=ChangeFeed(db, metrics),
            instance_id=instance_id,
        )

    def start(self) -> None:
        """Migrate, create the first admin, then start the targets, the worker and the loops."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db.migrate()
        admin_password = (
            self.settings.admin_password.get_secret_value() if self.settings.admin_password else None
        )
        generated = self.users.ensure_first_admin(admin_password)
        if generated is not None:
            logger.warning(
                f"First start: admin account created. Log in with: racetrack login --username admin "
                f"--remote {self.settings.lifecycle_url} (password: {generated}). "
                "This password is shown only once; change it after logging in."
            )
        if not self.settings.auth_required:
            logger.warning(
                "authentication is not required (auth_required=false): anyone can deploy and call jobs"
            )
        self.db_probe.start()
        self.plugins.start()
        self.worker.start()
        self.sync.start()

    def stop(self) -> None:
        self.sync.stop()
        self.worker.stop()
        self.plugins.stop()
        self.db_probe.stop()
        self.changes.close()
        self.db.dispose()
