"""Every hook a Racetrack plugin may implement, declared once.

Plugins are modules or objects registered with pluggy under the project name ``racetrack``,
discovered through the ``racetrack`` entry point group (the built-in ``python3`` job type and
``local`` target are registered this way too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from racetrack.plugins.interfaces import InfrastructureTarget, JobRecord, JobType, PluginContext

PROJECT_NAME = "racetrack"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def racetrack_job_types(register: Callable[[JobType], None], context: PluginContext) -> None:
    """Fires when plugins load: call ``register(job_type)`` for every job type you provide."""


@hookspec
def racetrack_infrastructure_targets(
    register: Callable[[InfrastructureTarget], None], context: PluginContext
) -> None:
    """Fires when plugins load: call ``register(target)`` for every infrastructure target."""


@hookspec
def job_runtime_env_vars() -> dict[str, str] | None:
    """Fires at every provisioning: extra runtime env vars for every job (treated as reserved)."""


@hookspec
def post_job_deploy(manifest: Any, job: JobRecord, image_name: str, deployer_username: str | None) -> None:
    """Fires after a job passed its health checks and was marked running."""


@hookspec
def post_job_delete(job: JobRecord, username_executor: str | None) -> None:
    """Fires after a job version was deleted."""
