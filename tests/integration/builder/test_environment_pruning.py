"""Unused job environments are deleted after a while; environments in use never are."""

from __future__ import annotations

import os
import time
from pathlib import Path

from racetrack.builder import BuildLog, prune_environments
from racetrack.builder.venv import MARKER, ensure_environment, environment_key
from racetrack.plugins.interfaces import LocalRecipe

DAY = 24 * 3600.0


def fake_environment(envs_dir: Path, key: str, *, age: float, size: int = 1000) -> Path:
    env = envs_dir / key
    (env / "lib").mkdir(parents=True)
    (env / "lib" / "module.py").write_bytes(b"x" * size)
    (env / MARKER).write_text("{}")
    last_used = time.time() - age
    os.utime(env / MARKER, (last_used, last_used))
    return env


def aged_directory(path: Path, *, age: float) -> Path:
    path.mkdir(parents=True)
    (path / "partial").write_text("half-built")
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def test_environments_unused_past_the_retention_are_deleted(tmp_path: Path) -> None:
    envs = tmp_path / "envs"
    stale = fake_environment(envs, "a" * 64, age=8 * DAY, size=4096)
    recent = fake_environment(envs, "b" * 64, age=1 * DAY)
    running = fake_environment(envs, "c" * 64, age=30 * DAY)
    crashed = aged_directory(envs / ".tmp-dddd-1234", age=8 * DAY)
    building = aged_directory(envs / ".tmp-eeee-5678", age=60)
    (envs / ".locks").mkdir()

    removed, freed = prune_environments(envs, keep={running}, unused_for=7 * DAY)

    assert removed == ["a" * 64]
    assert freed >= 4096 + len("half-built")
    assert not stale.exists() and not crashed.exists()
    assert recent.is_dir() and running.is_dir() and building.is_dir()
    assert (envs / ".locks").is_dir()


def test_an_environment_reused_by_a_deployment_is_fresh_again(tmp_path: Path) -> None:
    envs = tmp_path / "envs"
    recipe = LocalRecipe(
        python="3.11", packages=["six==1.16.0"], copy_packages=[], requirements_files=[], command=[]
    )
    key = environment_key(recipe)
    env = fake_environment(envs, key, age=30 * DAY)
    log = BuildLog(tmp_path / "build.log")

    assert ensure_environment(recipe, envs_dir=envs, build_env={}, log=log, cwd=tmp_path) == (key, env)

    assert "reusing job environment" in log.read()
    assert prune_environments(envs, keep=(), unused_for=7 * DAY) == ([], 0)
    assert (env / MARKER).is_file()


def test_nothing_to_prune_without_an_environments_directory(tmp_path: Path) -> None:
    assert prune_environments(tmp_path / "missing", keep=(), unused_for=0) == ([], 0)
