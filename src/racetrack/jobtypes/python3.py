"""The ``python3`` job type: a Python class served by ``racetrack-job-runtime``.

Local flavour: the job runs on the platform's own Python (same major.minor) in a virtualenv
holding the runtime's dependencies, a copy of the runtime package and the job's requirements.
Container flavour (not wired yet): ``python3.Dockerfile.jinja2`` beside this module, see
:func:`dockerfile_template`.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from importlib import metadata, resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from racetrack.core.errors import DeploymentError, InvalidInputError
from racetrack.plugins.hookspecs import hookimpl
from racetrack.plugins.interfaces import JobType, LocalRecipe

if TYPE_CHECKING:
    from collections.abc import Callable

    from racetrack.manifest import Manifest

NAME = "python3"
RUNTIME_DISTRIBUTION = "racetrack-job-runtime"
RUNTIME_PACKAGE = "racetrack_job_runtime"
DOCKERFILE_TEMPLATE = "python3.Dockerfile.jinja2"


def runtime_version() -> str:
    """Version of the installed job runtime distribution: the job type's version."""
    try:
        return metadata.version(RUNTIME_DISTRIBUTION)
    except metadata.PackageNotFoundError as e:
        raise DeploymentError(
            f"the {RUNTIME_DISTRIBUTION} distribution is not installed; install it next to racetrack"
        ) from e


@cache
def runtime_requirements() -> tuple[str, ...]:
    """The runtime's own dependency requirement strings (extras-only ones left out)."""
    try:
        requires = metadata.requires(RUNTIME_DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        requires = []
    return tuple(req for req in requires if "extra ==" not in req.replace('"', "'").replace("  ", " "))


def runtime_package_dir() -> Path:
    """Directory of the importable ``racetrack_job_runtime`` package (copied into job envs)."""
    spec = importlib.util.find_spec(RUNTIME_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DeploymentError(
            f"the {RUNTIME_PACKAGE} package cannot be imported by the platform's Python; "
            f"reinstall {RUNTIME_DISTRIBUTION} (e.g. `uv sync`)"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def dockerfile_template() -> str:
    """The Jinja2 Dockerfile template of this job type for container targets."""
    return resources.files("racetrack.jobtypes").joinpath(DOCKERFILE_TEMPLATE).read_text(encoding="utf-8")


def _job_file(workspace: Path, extra: dict[str, Any], key: str) -> str | None:
    """The relative path ``jobtype_extra[key]`` names, checked to be a file inside the workspace."""
    value = extra.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"jobtype_extra.{key}: expected a path string, got {value!r}")
    relative = PurePosixPath(value)
    if relative.is_absolute() or ".." in relative.parts:
        raise InvalidInputError(
            f"jobtype_extra.{key}: '{value}' must be a relative path inside the job directory"
        )
    if not (workspace / relative).is_file():
        raise InvalidInputError(f"jobtype_extra.{key}: file '{value}' not found in the job directory")
    return value


class Python3JobType:
    """Serves a Python class as a job with ``python -m racetrack_job_runtime run``."""

    name = NAME

    def __init__(self, version: str | None = None) -> None:
        self.version = version or runtime_version()

    def local_recipe(self, manifest: Manifest, workspace: Path) -> LocalRecipe:
        """Env = runtime dependencies + runtime package + the job's requirements file.

        Raises:
            InvalidInputError: ``entrypoint_path`` missing, or a named file is not in the workspace.
        """
        extra: dict[str, Any] = dict(manifest.jobtype_extra or {})
        if not extra.get("entrypoint_path"):
            raise InvalidInputError(
                "jobtype_extra.entrypoint_path is required for python3 jobs "
                "(the .py file holding the entrypoint class, relative to the job directory)"
            )
        entrypoint_path = _job_file(workspace, extra, "entrypoint_path")
        assert entrypoint_path is not None
        requirements_path = _job_file(workspace, extra, "requirements_path")
        entrypoint_class = extra.get("entrypoint_class")
        if entrypoint_class is not None and not isinstance(entrypoint_class, str):
            raise InvalidInputError(
                f"jobtype_extra.entrypoint_class: expected a class name, got {entrypoint_class!r}"
            )
        command = ["{python}", "-m", RUNTIME_PACKAGE, "run", entrypoint_path]
        if entrypoint_class:
            command.append(entrypoint_class)
        command += ["--port", "{port}", "--host", "127.0.0.1"]
        return LocalRecipe(
            python=f"{sys.version_info.major}.{sys.version_info.minor}",
            packages=list(runtime_requirements()),
            copy_packages=[runtime_package_dir()],
            requirements_files=[workspace / requirements_path] if requirements_path else [],
            command=command,
            env={"JOB_TYPE_VERSION": f"{self.name}:{self.version}"},
        )


@hookimpl
def racetrack_job_types(register: Callable[[JobType], None]) -> None:
    """Register the ``python3`` job type at the installed runtime's version."""
    register(Python3JobType())
