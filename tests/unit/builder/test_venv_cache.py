"""Job environments: the content-addressed key, reuse, atomic builds, the per-key lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from racetrack.builder import BuildLog, environment_key
from racetrack.builder import venv as venv_module
from racetrack.builder.venv import MARKER, copy_source, ensure_environment
from racetrack.plugins.interfaces import LocalRecipe


def recipe(tmp_path: Path, **overrides: Any) -> LocalRecipe:
    package = tmp_path / "pkgs" / "runtime_pkg"
    if not package.exists():
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("VERSION = 1\n")
    requirements = tmp_path / "job" / "requirements.txt"
    if not requirements.exists():
        requirements.parent.mkdir(parents=True, exist_ok=True)
        requirements.write_text("six==1.16.0\n")
    fields: dict[str, Any] = {
        "python": "3.11",
        "packages": ["uvicorn>=0.30", "httptools>=0.6"],
        "copy_packages": [package],
        "requirements_files": [requirements],
        "command": ["{python}", "-m", "x"],
    }
    fields.update(overrides)
    return LocalRecipe(**fields)


def test_key_is_stable_and_ignores_package_order_and_command(tmp_path: Path) -> None:
    first = environment_key(recipe(tmp_path))
    assert len(first) == 64
    assert environment_key(recipe(tmp_path)) == first
    assert environment_key(recipe(tmp_path, packages=["httptools>=0.6", "uvicorn>=0.30"])) == first
    assert environment_key(recipe(tmp_path, command=["other"], env={"A": "1"})) == first


def test_key_depends_on_requirements_content_not_path(tmp_path: Path) -> None:
    first = environment_key(recipe(tmp_path))
    elsewhere = tmp_path / "other-job" / "reqs.txt"
    elsewhere.parent.mkdir()
    elsewhere.write_text("six==1.16.0\n")
    assert environment_key(recipe(tmp_path, requirements_files=[elsewhere])) == first
    elsewhere.write_text("six==1.17.0\n")
    assert environment_key(recipe(tmp_path, requirements_files=[elsewhere])) != first


def test_key_follows_included_requirements_files(tmp_path: Path) -> None:
    job = tmp_path / "inc"
    job.mkdir()
    (job / "base.txt").write_text("idna==3.7\n")
    (job / "requirements.txt").write_text("-r base.txt\nsix\n")
    first = environment_key(recipe(tmp_path, requirements_files=[job / "requirements.txt"]))
    (job / "base.txt").write_text("idna==3.8\n")
    assert environment_key(recipe(tmp_path, requirements_files=[job / "requirements.txt"])) != first


@pytest.mark.parametrize(
    "change",
    [
        {"python": "3.12"},
        {"packages": ["uvicorn>=0.31", "httptools>=0.6"]},
        {"cache_key_extra": "debian"},
        {"requirements_files": []},
    ],
)
def test_key_changes_with_what_makes_envs_differ(tmp_path: Path, change: dict[str, Any]) -> None:
    assert environment_key(recipe(tmp_path, **change)) != environment_key(recipe(tmp_path))


def test_key_changes_with_copied_package_content(tmp_path: Path) -> None:
    first = environment_key(recipe(tmp_path))
    package = tmp_path / "pkgs" / "runtime_pkg"
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"ignored")
    assert environment_key(recipe(tmp_path)) == first
    (package / "__init__.py").write_text("VERSION = 2\n")
    assert environment_key(recipe(tmp_path)) != first


@pytest.fixture
def fake_build(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the uv build by one that makes a directory slowly; returns the build targets."""
    built: list[Path] = []

    def build(recipe: LocalRecipe, key: str, target: Path, **kwargs: Any) -> None:
        built.append(target)
        target.mkdir()
        time.sleep(0.2)
        (target / MARKER).write_text(key)

    monkeypatch.setattr(venv_module, "_build", build)
    return built


def test_env_is_built_once_then_reused(tmp_path: Path, fake_build: list[Path]) -> None:
    log = BuildLog(tmp_path / "b.log")
    key, env = ensure_environment(
        recipe(tmp_path), envs_dir=tmp_path / "envs", build_env={}, log=log, cwd=tmp_path
    )
    assert env == tmp_path / "envs" / key and (env / MARKER).is_file()
    assert fake_build[0].name.startswith(".tmp-")  # built aside, renamed into place
    again = ensure_environment(
        recipe(tmp_path), envs_dir=tmp_path / "envs", build_env={}, log=log, cwd=tmp_path
    )
    assert again == (key, env) and len(fake_build) == 1
    assert f"reusing job environment env:{key[:12]}" in log.read()


def test_incomplete_env_is_never_reused(tmp_path: Path, fake_build: list[Path]) -> None:
    key = environment_key(recipe(tmp_path))
    half = tmp_path / "envs" / key
    (half / "lib").mkdir(parents=True)  # no marker: a build that died half-way
    _, env = ensure_environment(
        recipe(tmp_path), envs_dir=tmp_path / "envs", build_env={}, log=BuildLog(tmp_path / "b"), cwd=tmp_path
    )
    assert len(fake_build) == 1 and (env / MARKER).is_file() and not (env / "lib").exists()


def test_concurrent_builds_of_one_key_build_once(tmp_path: Path, fake_build: list[Path]) -> None:
    results: list[tuple[str, Path]] = []
    the_recipe = recipe(tmp_path)

    def build() -> None:
        results.append(
            ensure_environment(
                the_recipe,
                envs_dir=tmp_path / "envs",
                build_env={},
                log=BuildLog(tmp_path / "b"),
                cwd=tmp_path,
            )
        )

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake_build) == 1 and len(set(results)) == 1


def test_failed_build_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(recipe: LocalRecipe, key: str, target: Path, **kwargs: Any) -> None:
        target.mkdir()
        raise RuntimeError("uv failed")

    monkeypatch.setattr(venv_module, "_build", failing)
    with pytest.raises(RuntimeError):
        ensure_environment(
            recipe(tmp_path),
            envs_dir=tmp_path / "envs",
            build_env={},
            log=BuildLog(tmp_path / "b"),
            cwd=tmp_path,
        )
    assert [p.name for p in (tmp_path / "envs").iterdir()] == [".locks"]


def test_source_copy_skips_git_and_is_writable(tmp_path: Path) -> None:
    job = tmp_path / "job"
    (job / ".git").mkdir(parents=True)
    (job / ".git" / "config").write_text("[remote]")
    (job / "data").mkdir()
    (job / "data" / "model.bin").write_bytes(b"m")
    (job / "data" / "model.bin").chmod(0o444)
    dest = copy_source(job, tmp_path / "artifacts" / "adder" / "0.0.1" / "d1")
    assert not (dest / ".git").exists()
    (dest / "data" / "model.bin").write_bytes(b"changed")  # the job's private, writable copy
    assert (job / "data" / "model.bin").read_bytes() == b"m"
