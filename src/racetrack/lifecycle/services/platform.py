"""The platform overview of the Administration page (dashboard.md §10), staff only.

Active plugins (name, version, category, URL), the job type versions each plugin provides
and the infrastructure targets, each with the number of jobs using it. Plugins and what they
registered come from the :class:`PluginEngine`; job counts from the registry.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from types import ModuleType

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import Job
from racetrack.lifecycle.schemas_catalog import (
    InfrastructurePluginDto,
    JobTypePluginDto,
    PlatformOverview,
    PluginCategory,
    PluginDto,
    UsageDto,
)
from racetrack.lifecycle.services.auth import Subject
from racetrack.lifecycle.services.permissions import check_staff
from racetrack.plugins.engine import PluginEngine


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return dict(packages_distributions())


def plugin_version(plugin: object) -> str | None:
    """``plugin_version`` or ``__version__`` of the plugin, else (modules, classes) its distribution's."""
    for attribute in ("plugin_version", "__version__"):
        value = getattr(plugin, attribute, None)
        if isinstance(value, str) and value:
            return value
    if isinstance(plugin, ModuleType):  # an entry point module: the package it ships in
        module = plugin.__name__
    elif isinstance(plugin, type):
        module = plugin.__module__
    else:  # an object handed in directly: only what it declares
        return None
    top = module.split(".", 1)[0]
    for distribution in [*_distributions().get(top, []), top]:  # an editable install maps nothing
        try:
            return version(distribution)
        except PackageNotFoundError:
            continue
    return None


def plugin_url(plugin: object) -> str | None:
    value = getattr(plugin, "plugin_url", None)
    return value if isinstance(value, str) and value else None


class PlatformService:
    def __init__(self, db: Database, plugins: PluginEngine) -> None:
        self._db = db
        self._plugins = plugins

    def overview(self, subject: Subject) -> PlatformOverview:
        """Plugins, job types and infrastructure targets with their job counts.

        Raises:
            PermissionDeniedError: the subject is not staff (nor holds ``call_admin_api``).
        """
        check_staff(subject)
        job_types = self._plugins.job_type_providers()
        targets = self._plugins.target_providers()
        type_jobs = self._count(Job.job_type_version)
        target_jobs = self._count(Job.infrastructure_target)

        types_of: dict[str, list[str]] = defaultdict(list)
        for key, plugin in job_types.items():
            types_of[plugin].append(key)
        targets_of: dict[str, list[str]] = defaultdict(list)
        for name, plugin in targets.items():
            targets_of[plugin].append(name)

        described = self._described()
        plugins = sorted(
            (
                PluginDto(
                    name=display,
                    version=version,
                    category=PluginCategory(category)
                    if category
                    else PluginCategory.JOB_TYPE
                    if key in types_of
                    else PluginCategory.INFRASTRUCTURE
                    if key in targets_of
                    else PluginCategory.CORE,
                    url=url,
                    error=error,
                )
                for key, (display, version, category, url, error) in described.items()
            ),
            key=lambda plugin: (plugin.name, plugin.version or ""),
        )
        return PlatformOverview(
            plugins=plugins,
            job_type_plugins_data=[
                JobTypePluginDto(
                    name=described[name][0] if name in described else name,
                    version=described[name][1] if name in described else None,
                    job_types=[UsageDto(name=key, active_jobs=type_jobs.get(key, 0)) for key in sorted(keys)],
                )
                for name, keys in sorted(types_of.items())
            ],
            infrastructure_plugins_data=[
                InfrastructurePluginDto(
                    name=described[name][0] if name in described else name,
                    version=described[name][1] if name in described else None,
                    infrastructures=[
                        UsageDto(name=target, active_jobs=target_jobs.get(target, 0))
                        for target in sorted(names)
                    ],
                )
                for name, names in sorted(targets_of.items())
            ],
        )

    def _described(self) -> dict[str, tuple[str, str | None, str | None, str | None, str | None]]:
        """Every plugin by its engine name: (name, version, category, url, load error)."""
        described: dict[str, tuple[str, str | None, str | None, str | None, str | None]] = {
            name: (
                name,
                plugin_version(self._plugins.plugin(name)),
                None,
                plugin_url(self._plugins.plugin(name)),
                None,
            )
            for name in self._plugins.static_plugin_names()
        }
        for loaded in self._plugins.bundles():
            manifest = loaded.manifest
            described[loaded.key] = (
                manifest.name,
                manifest.version,
                manifest.category,
                manifest.url,
                loaded.error,
            )
        return described

    def _count(self, column: InstrumentedAttribute[str | None]) -> dict[str, int]:
        """Number of jobs per value of ``column`` (nulls left out)."""
        with self._db.session(readonly=True) as session:
            rows = session.execute(select(column, func.count()).where(column.is_not(None)).group_by(column))
            return {value: count for value, count in rows if value is not None}
