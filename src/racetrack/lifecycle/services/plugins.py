"""Plugins at run time: list, install (ZIP), uninstall, configure, docs and actions.

An upload is checked (safe ZIP, manifest) and loaded in a scratch directory first — imported,
instantiated, its job types and targets registered — so a plugin that fails to load is refused
and nothing is stored. A stored change is announced through the store's change file: this
process reloads at once, the other Lifecycle processes within one status-loop interval.
Writes are for staff (or ``call_admin_api`` on all jobs); reading the list is for anyone
authenticated. Built-in plugins (entry points) are listed but cannot be uninstalled.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from typing import Any

from racetrack.core.errors import InvalidInputError, NotFoundError, RacetrackError
from racetrack.core.plugin_bundle import PluginManifest, read_bundle
from racetrack.core.semver import SemanticVersion
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.audit import AuditEvent
from racetrack.lifecycle.services.auth import Subject
from racetrack.lifecycle.services.permissions import check_staff
from racetrack.lifecycle.services.platform import plugin_url, plugin_version
from racetrack.plugins.bundles import LoadedPlugin, PluginStore, split_key
from racetrack.plugins.engine import PluginEngine


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    url: str | None = None
    priority: int = 0
    category: str | None = None
    components: list[str] = field(default_factory=list)
    build_date: str | None = None
    builtin: bool = False
    error: str | None = None

    @classmethod
    def of(cls, manifest: PluginManifest, error: str | None = None) -> PluginInfo:
        return cls(
            name=manifest.name,
            version=manifest.version,
            url=manifest.url,
            priority=manifest.priority,
            category=manifest.category,
            components=list(manifest.components),
            build_date=manifest.build_date,
            error=error,
        )


class PluginService:
    def __init__(self, db: Database, plugins: PluginEngine, auth_required: bool = True) -> None:
        self._db = db
        self._plugins = plugins
        self._auth_required = auth_required

    @property
    def _store(self) -> PluginStore:
        if self._plugins.store is None:
            raise RacetrackError("this Lifecycle has no plugin directory")
        return self._plugins.store

    # -- reading ---------------------------------------------------------------------------

    def list_plugins(self) -> list[PluginInfo]:
        """Built-in plugins, then the bundles (failed ones with their error), sorted by name, version."""
        self._plugins.reload_if_changed()
        builtin = [
            PluginInfo(
                name=name,
                version=plugin_version(self._plugins.plugin(name)) or "unknown",
                url=plugin_url(self._plugins.plugin(name)),
                category=self._category(name),
                builtin=True,
            )
            for name in self._plugins.static_plugin_names()
        ]
        bundles = [PluginInfo.of(b.manifest, b.error) for b in self._plugins.bundles()]
        return sorted(builtin + bundles, key=lambda p: (p.name, _version_key(p.version)))

    def _category(self, plugin: str) -> str:
        if plugin in self._plugins.job_type_providers().values():
            return "job-type"
        if plugin in self._plugins.target_providers().values():
            return "infrastructure"
        return "core"

    def job_type_versions(self) -> list[str]:
        """Installed job types, ``name:version``, sorted by name then semantic version."""
        self._plugins.reload_if_changed()

        def order(key: str) -> tuple[str, tuple[int, Any]]:
            name, version = key.split(":", 1)
            return name, _version_key(version)

        return sorted(self._plugins.job_types(), key=order)

    def infrastructure_targets(self) -> dict[str, PluginInfo]:
        """Each installed infrastructure target with the plugin providing it."""
        self._plugins.reload_if_changed()
        bundles = {b.key: b for b in self._plugins.bundles()}
        result = {}
        for target, provider in sorted(self._plugins.target_providers().items()):
            loaded = bundles.get(provider)
            result[target] = (
                PluginInfo.of(loaded.manifest)
                if loaded is not None
                else PluginInfo(
                    name=provider,
                    version=plugin_version(self._plugins.plugin(provider)) or "unknown",
                    category="infrastructure",
                    builtin=True,
                )
            )
        return result

    def docs(self, name: str) -> str:
        """The ``markdown_docs`` of the newest loaded version of plugin ``name``."""
        plugin = self._plugins.plugin_object(name)
        if plugin is None:
            raise NotFoundError(f"plugin {name} is not installed (or failed to load)")
        method = getattr(plugin, "markdown_docs", None)
        text = method() if callable(method) else None
        if not text:
            raise NotFoundError(f"plugin {name} provides no documentation")
        return str(text)

    def docs_pages(self) -> list[str]:
        """Names of the plugins that provide documentation (for the Docs index)."""
        names = []
        for name in sorted({b.manifest.name for b in self._plugins.bundles() if b.instance is not None}):
            try:
                self.docs(name)
            except (NotFoundError, Exception):  # a plugin's own failure hides only its page
                continue
            names.append(name)
        return names

    # -- changes (staff) -------------------------------------------------------------------

    def install(self, subject: Subject, filename: str, data: bytes, *, replace: bool = False) -> PluginInfo:
        """Check, trial-load, store and load a bundle; nothing is stored when it fails.

        Raises:
            PermissionDeniedError: not staff.
            InvalidInputError: not a ``.zip``, an unsafe or invalid bundle, or it fails to load.
        """
        check_staff(subject)
        if not filename.lower().endswith(".zip"):
            raise InvalidInputError(f"a plugin is uploaded as a .zip file, got {filename!r}")
        bundle = read_bundle(data)
        manifest = bundle.manifest
        self._trial_load(bundle)
        removed = self._store.save(bundle, replace=replace)
        self._store.mark_changed()
        self._plugins.reload()
        with self._db.session() as session:
            self._record(session, AuditEvent.PLUGIN_INSTALLED, subject, manifest.name, manifest.version)
            for key in removed:  # other versions dropped by replace
                parts = split_key(key)
                if parts is not None:
                    self._record(session, AuditEvent.PLUGIN_UNINSTALLED, subject, *parts)
        loaded = self._find(manifest.name, manifest.version)
        return PluginInfo.of(manifest, loaded.error if loaded else None)

    def _trial_load(self, bundle: Any) -> None:
        scratch = PluginStore(
            self._store.root / f".trial-{uuid.uuid4().hex}", deps_root=self._store.root / "deps"
        )
        label = f"{bundle.manifest.name} {bundle.manifest.version}"
        try:
            loaded = scratch.load_bundle(bundle, self._plugins.component)
            if loaded.error is not None:
                raise InvalidInputError(f"plugin {label} failed to load: {loaded.error}")
            if loaded.instance is not None:
                try:
                    self._plugins.try_bundle(loaded)
                except RacetrackError as e:
                    raise InvalidInputError(f"plugin {label} failed to load: {e.message}") from e
        finally:
            shutil.rmtree(scratch.root, ignore_errors=True)

    def uninstall(self, subject: Subject, name: str, version: str) -> None:
        """Remove one version (a faulty one too).

        Raises:
            InvalidInputError: a built-in plugin.
            NotFoundError: no such version stored.
        """
        check_staff(subject)
        if name in self._plugins.static_plugin_names():
            raise InvalidInputError(
                f"plugin {name} is built in and cannot be uninstalled "
                "(RACETRACK_PLUGINS chooses which built-in plugins load)"
            )
        self._store.remove(name, version)
        self._store.mark_changed()
        self._plugins.reload()
        with self._db.session() as session:
            self._record(session, AuditEvent.PLUGIN_UNINSTALLED, subject, name, version)

    def uninstall_all(self, subject: Subject) -> list[str]:
        """Remove every bundle (built-in plugins stay); returns the removed ``name-version`` keys."""
        check_staff(subject)
        bundles = {b.key: b.manifest for b in self._plugins.bundles()}
        removed = self._store.remove_all()
        self._store.mark_changed()
        self._plugins.reload()
        with self._db.session() as session:
            for key in removed:
                manifest = bundles.get(key)
                if manifest is not None:
                    self._record(
                        session, AuditEvent.PLUGIN_UNINSTALLED, subject, manifest.name, manifest.version
                    )
        return removed

    def read_config(self, subject: Subject, name: str, version: str) -> str:
        check_staff(subject)
        self._require_stored(name, version)
        return self._store.read_config(f"{name}-{version}")

    def write_config(self, subject: Subject, name: str, version: str, text: str) -> None:
        """Save the plugin's YAML config and reload every plugin (in every process)."""
        check_staff(subject)
        self._require_stored(name, version)
        self._store.write_config(f"{name}-{version}", text)
        self._store.mark_changed()
        self._plugins.reload()

    def download(self, subject: Subject, name: str, version: str) -> bytes:
        check_staff(subject)
        return self._store.read(name, version)

    def run_action(self, subject: Subject, name: str, arguments: dict[str, Any]) -> Any:
        """Call the plugin's ``run_action(**arguments)`` (staff only)."""
        check_staff(subject)
        plugin = self._plugins.plugin_object(name)
        if plugin is None:
            raise NotFoundError(f"plugin {name} is not installed (or failed to load)")
        action = getattr(plugin, "run_action", None)
        if not callable(action):
            raise InvalidInputError(f"plugin {name} has no run_action")
        try:
            return action(**arguments)
        except RacetrackError:
            raise
        except Exception as e:
            raise RacetrackError(f"run_action of plugin {name} failed: {e}") from e

    # -- helpers ---------------------------------------------------------------------------

    def _find(self, name: str, version: str) -> LoadedPlugin | None:
        return next(
            (b for b in self._plugins.bundles() if (b.manifest.name, b.manifest.version) == (name, version)),
            None,
        )

    def _require_stored(self, name: str, version: str) -> None:
        if not self._store.bundle_path(name, version).is_file():
            raise NotFoundError(f"plugin {name} {version} is not installed")

    def _record(self, session: Any, event: AuditEvent, subject: Subject, name: str, version: str) -> None:
        audit.record(
            session,
            event,
            executor=audit.username_of(subject, self._auth_required),
            properties={"plugin_name": name, "plugin_version": version},
        )


def _version_key(version: str) -> tuple[int, Any]:
    try:
        return 0, SemanticVersion.parse(version)
    except ValueError:
        return 1, version
