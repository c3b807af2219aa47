"""Shared, expensive fixtures of the builder's integration tests: one real uv-built job env."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from racetrack.builder import BuildLog, build_local_artifact
from racetrack.jobtypes.python3 import Python3JobType
from racetrack.manifest import Manifest, parse_manifest
from racetrack.plugins.interfaces import Artifact, LocalRecipe
from tests.conftest import require

ADDER = '''\
import six


class Adder:
    def perform(self, a: float, b: float) -> float:
        """Add two numbers."""
        return a + b

    def docs_input_example(self) -> dict:
        return {"a": 1, "b": 2}
'''


@dataclass
class BuiltJob:
    root: Path  # envs/, artifacts/, uv-cache/ live here
    source: Path
    manifest: Manifest
    recipe: LocalRecipe
    artifact: Artifact
    cold_seconds: float

    def build(
        self,
        deployment_id: str,
        log: BuildLog,
        recipe: LocalRecipe | None = None,
        build_env: dict[str, str] | None = None,
    ) -> Artifact:
        return build_local_artifact(
            recipe or self.recipe,
            workspace=self.source,
            envs_dir=self.root / "envs",
            artifacts_dir=self.root / "artifacts",
            job_name="adder",
            job_version="0.0.1",
            deployment_id=deployment_id,
            build_env=build_env or {},
            log=log,
        )


@pytest.fixture(scope="session")
def built_job(tmp_path_factory: pytest.TempPathFactory) -> BuiltJob:
    """The python3 recipe of a job with one small requirement, built cold (fresh uv cache) once."""
    require(
        importlib.util.find_spec("racetrack_job_runtime") is not None,
        "racetrack_job_runtime is not importable in the platform's venv (run `uv sync`)",
    )
    root = tmp_path_factory.mktemp("builds")
    source = root / "job"
    source.mkdir()
    (source / "adder.py").write_text(ADDER)
    (source / "requirements.txt").write_text("six==1.16.0\n")
    manifest = parse_manifest(
        {
            "name": "adder",
            "owner_email": "owner@example.com",
            "jobtype": "python3:1.0.0",
            "git": {"remote": "https://example.com/adder.git"},
            "jobtype_extra": {"entrypoint_path": "adder.py", "requirements_path": "requirements.txt"},
        }
    )
    recipe = Python3JobType().local_recipe(manifest, source)
    job = BuiltJob(root, source, manifest, recipe, None, 0.0)  # type: ignore[arg-type]
    started = time.monotonic()
    job.artifact = job.build("cold", BuildLog(root / "logs" / "cold.log"))
    job.cold_seconds = time.monotonic() - started
    return job
