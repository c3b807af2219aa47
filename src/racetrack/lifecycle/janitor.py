"""Prunes job environments (virtualenvs) that no job uses any more.

Environments are content-addressed and shared, so deleting a job leaves its environment
behind for the next deployment with the same requirements. One that no target still runs a
job from and that no deployment has used for ``environment_retention`` seconds is deleted;
the status loop calls :meth:`EnvironmentJanitor.maybe_prune`, which works at most once per
``environment_prune_interval``.
"""

from __future__ import annotations

import time
from pathlib import Path

from loguru import logger

from racetrack.builder import prune_environments
from racetrack.plugins.engine import PluginEngine
from racetrack.plugins.interfaces import ENVIRONMENTS_IN_USE


class EnvironmentJanitor:
    def __init__(self, envs_dir: Path, plugins: PluginEngine, retention: float, interval: float) -> None:
        self.envs_dir = envs_dir
        self._plugins = plugins
        self.retention = retention
        self.interval = interval
        self._last_run: float | None = None

    def maybe_prune(self) -> list[str]:
        """Prune if the interval has passed since the last time; returns the deleted keys."""
        if self.retention <= 0:
            return []
        if self._last_run is not None and time.monotonic() - self._last_run < self.interval:
            return []
        self._last_run = time.monotonic()
        return self.prune()

    def prune(self) -> list[str]:
        keep: set[Path] = set()
        for name, target in self._plugins.infrastructure_targets().items():
            in_use = getattr(target, ENVIRONMENTS_IN_USE, None)
            if in_use is None:
                continue
            try:
                keep |= in_use()
            except Exception as e:  # without the full picture nothing is safe to delete
                logger.warning("environments in use unknown; nothing pruned", target=name, error=str(e))
                return []
        removed, freed = prune_environments(self.envs_dir, keep=keep, unused_for=self.retention)
        if removed:
            logger.info(
                "unused job environments deleted",
                count=len(removed),
                freed_mib=round(freed / 2**20, 1),
                environments=[f"env:{key[:12]}" for key in removed],
            )
        return removed
