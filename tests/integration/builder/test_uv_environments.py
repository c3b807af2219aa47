"""Real job environments built with uv from the package index."""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from racetrack.builder import BuildLog
from racetrack.builder.venv import MARKER
from racetrack.core.errors import DeploymentError
from tests.integration.builder.conftest import BuiltJob

SIX_WHEEL_PATH = (
    "packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/"
    "six-1.16.0-py2.py3-none-any.whl"
)


def run_python(env_dir: Path, code: str) -> str:
    return subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_cold_build_makes_a_complete_env(built_job: BuiltJob) -> None:
    artifact = built_job.artifact
    assert artifact.env_dir is not None and artifact.source_dir is not None
    assert (artifact.env_dir / MARKER).is_file()
    assert artifact.name == f"env:{artifact.env_dir.name[:12]}"
    versions = run_python(
        artifact.env_dir, "import six, uvicorn, racetrack_job_runtime; print(six.__version__)"
    )
    assert versions == "1.16.0"
    assert artifact.source_dir == built_job.root / "artifacts" / "adder" / "0.0.1" / "cold"
    assert (artifact.source_dir / "adder.py").is_file()
    assert artifact.command[:3] == ["{python}", "-m", "racetrack_job_runtime"]
    assert built_job.cold_seconds < 60, f"cold build took {built_job.cold_seconds:.1f} s"
    print(f"cold build: {built_job.cold_seconds:.2f} s")


def test_warm_rebuild_reuses_the_env(built_job: BuiltJob) -> None:
    log = BuildLog(built_job.root / "logs" / "warm.log")
    started = time.monotonic()
    artifact = built_job.build("warm", log)
    elapsed = time.monotonic() - started
    assert artifact.env_dir == built_job.artifact.env_dir
    assert artifact.source_dir == built_job.root / "artifacts" / "adder" / "0.0.1" / "warm"
    assert "reusing job environment" in log.read()
    print(f"warm rebuild: {elapsed:.2f} s")


def test_failed_install_shows_the_build_log_excerpt_without_secrets(
    built_job: BuiltJob, tmp_path: Path
) -> None:
    secret = "s3cr3tv4lue"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"nosuchpkg-racetrack-{secret}==1.0\n")
    recipe = replace(built_job.recipe, requirements_files=[requirements])
    log = BuildLog(tmp_path / "failed.log", secrets=[secret])
    envs_before = set((built_job.root / "envs").iterdir())
    with pytest.raises(DeploymentError) as info:
        built_job.build("failed", log, recipe=recipe, build_env={"PRIVATE_TOKEN": secret})
    message = str(info.value)
    assert message.startswith("installing requirements failed (exit code ")
    assert "No solution found when resolving dependencies" in message
    assert "nosuchpkg-racetrack-***" in message
    assert secret not in message and secret not in log.read()
    assert set((built_job.root / "envs").iterdir()) == envs_before  # nothing half-built left


def test_build_env_is_used_by_the_install_but_never_stored(built_job: BuiltJob, tmp_path: Path) -> None:
    secret = "xyzzy-build-s3cret"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"six @ https://${{SIX_HOST}}/{SIX_WHEEL_PATH}\n")  # uv expands env vars in URLs
    recipe = replace(built_job.recipe, requirements_files=[requirements])
    artifact = built_job.build(
        "envvars",
        BuildLog(tmp_path / "b.log"),
        recipe=recipe,
        build_env={"SIX_HOST": "files.pythonhosted.org", "TOKEN": secret},
    )
    assert artifact.env_dir is not None and artifact.env_dir != built_job.artifact.env_dir
    assert run_python(artifact.env_dir, "import six; print(six.__version__)") == "1.16.0"
    found = subprocess.run(["grep", "-rl", secret, str(artifact.env_dir)], capture_output=True, text=True)
    assert found.stdout == ""
