"""Lifecycle's environment janitor: asks every target what it still uses, prunes the rest
no more than once per interval, and prunes nothing when a target cannot say."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from racetrack.builder.venv import MARKER
from racetrack.lifecycle.janitor import EnvironmentJanitor

DAY = 24 * 3600.0


class Targets:
    def __init__(self, **targets: Any) -> None:
        self.targets = targets

    def infrastructure_targets(self) -> dict[str, Any]:
        return self.targets


class UsingTarget:
    def __init__(self, *envs: Path) -> None:
        self.envs = set(envs)

    def environments_in_use(self) -> set[Path]:
        return self.envs


class BrokenTarget:
    def environments_in_use(self) -> set[Path]:
        raise RuntimeError("state unreadable")


class ImageTarget:
    """A target without local environments (no environments_in_use method)."""


def old_environment(envs_dir: Path, key: str) -> Path:
    env = envs_dir / key
    env.mkdir(parents=True)
    (env / MARKER).write_text("{}")
    os.utime(env / MARKER, (time.time() - 30 * DAY, time.time() - 30 * DAY))
    return env


def janitor(
    envs: Path, targets: Targets, retention: float = 7 * DAY, interval: float = 3600
) -> EnvironmentJanitor:
    return EnvironmentJanitor(envs, targets, retention, interval)  # type: ignore[arg-type]


def test_environments_of_every_target_are_kept_and_the_rest_pruned(tmp_path: Path) -> None:
    used, spare = old_environment(tmp_path, "a" * 64), old_environment(tmp_path, "b" * 64)
    targets = Targets(local=UsingTarget(used), images=ImageTarget())
    assert janitor(tmp_path, targets).maybe_prune() == ["b" * 64]
    assert used.is_dir() and not spare.exists()


def test_a_target_that_cannot_tell_what_it_uses_stops_the_pruning(tmp_path: Path) -> None:
    spare = old_environment(tmp_path, "b" * 64)
    assert janitor(tmp_path, Targets(local=UsingTarget(), broken=BrokenTarget())).maybe_prune() == []
    assert spare.is_dir()


def test_pruning_runs_at_most_once_per_interval(tmp_path: Path) -> None:
    cleaner = janitor(tmp_path, Targets(local=UsingTarget()), interval=3600)
    assert cleaner.maybe_prune() == []
    spare = old_environment(tmp_path, "b" * 64)
    assert cleaner.maybe_prune() == []  # within the hour
    assert spare.is_dir()
    assert cleaner.prune() == ["b" * 64]


def test_zero_retention_keeps_every_environment(tmp_path: Path) -> None:
    spare = old_environment(tmp_path, "b" * 64)
    assert janitor(tmp_path, Targets(local=UsingTarget()), retention=0).maybe_prune() == []
    assert spare.is_dir()
