"""The python3 job type: its local recipe, its checks, its Dockerfile template."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest

from racetrack.core.errors import InvalidInputError
from racetrack.jobtypes import python3
from racetrack.manifest import Manifest, parse_manifest


def manifest(**jobtype_extra: Any) -> Manifest:
    return parse_manifest(
        {
            "name": "adder",
            "owner_email": "owner@example.com",
            "jobtype": "python3:1.0.0",
            "git": {"remote": "https://example.com/adder.git"},
            "jobtype_extra": jobtype_extra or None,
            "system_dependencies": ["libpq5"],
        }
    )


@pytest.fixture
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in runtime package directory (the real one may not be importable yet)."""
    package = tmp_path / "runtime" / python3.RUNTIME_PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.setattr(python3, "runtime_package_dir", lambda: package)
    return package


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "job"
    (path / "src").mkdir(parents=True)
    (path / "src" / "adder.py").write_text(
        "class Adder:\n    def perform(self, a, b):\n        return a + b\n"
    )
    (path / "requirements.txt").write_text("six\n")
    return path


def test_local_recipe(workspace: Path, runtime_dir: Path) -> None:
    job_type = python3.Python3JobType("1.2.3")
    recipe = job_type.local_recipe(
        manifest(
            entrypoint_path="src/adder.py", entrypoint_class="Adder", requirements_path="requirements.txt"
        ),
        workspace,
    )
    assert recipe.python == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert recipe.packages == list(python3.runtime_requirements())
    assert recipe.copy_packages == [runtime_dir]
    assert recipe.requirements_files == [workspace / "requirements.txt"]
    assert recipe.command == [
        "{python}", "-m", "racetrack_job_runtime", "run", "src/adder.py", "Adder",
        "--port", "{port}", "--host", "127.0.0.1",
    ]  # fmt: skip
    assert recipe.env == {"JOB_TYPE_VERSION": "python3:1.2.3"}


def test_local_recipe_without_class_or_requirements(workspace: Path, runtime_dir: Path) -> None:
    recipe = python3.Python3JobType("1.0.0").local_recipe(manifest(entrypoint_path="src/adder.py"), workspace)
    assert recipe.requirements_files == []
    assert recipe.command[4:6] == ["src/adder.py", "--port"]


def test_missing_entrypoint_file_is_named(workspace: Path, runtime_dir: Path) -> None:
    with pytest.raises(InvalidInputError) as info:
        python3.Python3JobType("1.0.0").local_recipe(manifest(entrypoint_path="x.py"), workspace)
    assert str(info.value) == "jobtype_extra.entrypoint_path: file 'x.py' not found in the job directory"


def test_missing_requirements_file_is_named(workspace: Path, runtime_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match="jobtype_extra.requirements_path: file 'req.txt' not found"):
        python3.Python3JobType("1.0.0").local_recipe(
            manifest(entrypoint_path="src/adder.py", requirements_path="req.txt"), workspace
        )


def test_entrypoint_path_is_required(workspace: Path, runtime_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match="jobtype_extra.entrypoint_path is required"):
        python3.Python3JobType("1.0.0").local_recipe(manifest(), workspace)


@pytest.mark.parametrize("path", ["../outside.py", "/etc/passwd"])
def test_paths_outside_the_job_directory_are_refused(workspace: Path, runtime_dir: Path, path: str) -> None:
    (workspace.parent / "outside.py").write_text("")
    with pytest.raises(InvalidInputError, match="must be a relative path inside the job directory"):
        python3.Python3JobType("1.0.0").local_recipe(manifest(entrypoint_path=path), workspace)


def test_version_is_the_runtime_distribution_version() -> None:
    from importlib.metadata import version

    assert python3.Python3JobType().version == version("racetrack-job-runtime")
    assert python3.Python3JobType.name == "python3"


def test_runtime_requirements_are_the_runtime_dependencies() -> None:
    names = {req.split(">")[0].split("=")[0].split(";")[0].strip() for req in python3.runtime_requirements()}
    assert {"uvicorn", "httptools"} <= names


def test_runtime_package_dir_is_the_installed_package() -> None:
    from tests.conftest import require

    require(
        importlib.util.find_spec(python3.RUNTIME_PACKAGE) is not None,
        "racetrack_job_runtime is not importable in the platform's venv (run `uv sync`)",
    )
    directory = python3.runtime_package_dir()
    assert directory.name == python3.RUNTIME_PACKAGE and (directory / "__init__.py").is_file()


def test_racetrack_job_types_registers_python3() -> None:
    registered: list[Any] = []
    register: Callable[[Any], None] = registered.append
    python3.racetrack_job_types(register=register)
    assert [(t.name, type(t)) for t in registered] == [("python3", python3.Python3JobType)]


def test_dockerfile_template_renders() -> None:
    text = jinja2.Template(python3.dockerfile_template()).render(
        manifest=manifest(entrypoint_path="src/adder.py"),
        manifest_jobtype_extra={"entrypoint_path": "src/adder.py", "requirements_path": "requirements.txt"},
        env_vars={"MODE": "fast"},
        git_version="1.0.0-1-gabc",
        deployed_by_racetrack_version="0.1.0",
        job_type_version="python3:1.0.0",
        resource_name="job-adder-v-0-0-1",
    )
    assert text.startswith("FROM python:3.11-slim-bookworm")
    assert "apt-get install -y --no-install-recommends libpq5" in text
    assert "--mount=type=secret,id=build_secrets" in text
    assert 'ENV MODE="fast"' in text
    assert "racetrack_job_runtime run src/adder.py" in text
    assert "LABEL racetrack-component=job" in text
