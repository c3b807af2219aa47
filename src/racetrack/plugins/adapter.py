"""Turns a bundle's ``Plugin`` instance into a pluggy plugin.

A bundle's ``Plugin`` needs no markers: a hook is any method named like one. Both spellings of
the registry hooks work: this project's ``racetrack_job_types(register, context)`` /
``racetrack_infrastructure_targets(register, context)`` and upstream's ``job_types()`` /
``infrastructure_targets()`` returning a dict. Side-effect hooks receive only the keyword
arguments their method declares, so plugins written for older signatures keep working.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from racetrack.core.errors import RacetrackError
from racetrack.plugins.bundles import LoadedPlugin
from racetrack.plugins.hookspecs import hookimpl
from racetrack.plugins.interfaces import JobType


def call_with_declared(method: Callable[..., Any], **kwargs: Any) -> Any:
    """Call ``method`` with the keyword arguments it declares (all of them if it takes ``**``)."""
    parameters = inspect.signature(method).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return method(**kwargs)
    names = {p.name for p in parameters}
    return method(**{key: value for key, value in kwargs.items() if key in names})


def bundle_adapter(loaded: LoadedPlugin) -> object:
    """A namespace of hook implementations forwarding to ``loaded.instance``."""
    instance = loaded.instance
    label = f"{loaded.manifest.name} {loaded.manifest.version}"
    hooks = SimpleNamespace()

    own_job_types = getattr(instance, "racetrack_job_types", None)
    upstream_job_types = getattr(instance, "job_types", None)
    if callable(own_job_types) or callable(upstream_job_types):

        @hookimpl
        def racetrack_job_types(register: Callable[[Any], None], context: Any) -> None:
            if callable(own_job_types):
                call_with_declared(own_job_types, register=register, context=context)
            if callable(upstream_job_types):
                for key, definition in _as_dict(upstream_job_types(), "job_types", label).items():
                    if not isinstance(definition, JobType):
                        raise RacetrackError(
                            f"job type {key} of plugin {label} is not a job type object (name, version, "
                            "local_recipe); Dockerfile-template job types need a container image "
                            "builder, which this installation does not have"
                        )
                    register(definition)

        hooks.racetrack_job_types = racetrack_job_types

    own_targets = getattr(instance, "racetrack_infrastructure_targets", None)
    upstream_targets = getattr(instance, "infrastructure_targets", None)
    if callable(own_targets) or callable(upstream_targets):

        @hookimpl
        def racetrack_infrastructure_targets(register: Callable[[Any], None], context: Any) -> None:
            if callable(own_targets):
                call_with_declared(own_targets, register=register, context=context)
            if callable(upstream_targets):
                for target in _as_dict(upstream_targets(), "infrastructure_targets", label).values():
                    register(target)

        hooks.racetrack_infrastructure_targets = racetrack_infrastructure_targets

    env_vars = getattr(instance, "job_runtime_env_vars", None)
    if callable(env_vars):

        @hookimpl
        def job_runtime_env_vars() -> dict[str, str] | None:
            result: dict[str, str] | None = env_vars()
            return result

        hooks.job_runtime_env_vars = job_runtime_env_vars

    deployed = getattr(instance, "post_job_deploy", None)
    if callable(deployed):

        @hookimpl
        def post_job_deploy(manifest: Any, job: Any, image_name: str, deployer_username: str | None) -> None:
            call_with_declared(
                deployed,
                manifest=manifest,
                job=job,
                image_name=image_name,
                deployer_username=deployer_username,
            )

        hooks.post_job_deploy = post_job_deploy

    deleted = getattr(instance, "post_job_delete", None)
    if callable(deleted):

        @hookimpl
        def post_job_delete(job: Any, username_executor: str | None) -> None:
            call_with_declared(deleted, job=job, username_executor=username_executor)

        hooks.post_job_delete = post_job_delete

    return hooks


def _as_dict(result: Any, hook: str, label: str) -> dict[Any, Any]:
    if result is None:
        return {}
    if not isinstance(result, dict):
        raise RacetrackError(
            f'hook "{hook}" of plugin {label} must return a dict, got {type(result).__name__}'
        )
    return result
