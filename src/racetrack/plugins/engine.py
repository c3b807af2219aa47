"""The plugin engine: loads plugins with pluggy and keeps the job types and targets they register.

Plugins come from the ``racetrack`` entry point group (the built-in ``python3`` job type and
``local`` target included) plus any objects handed in as ``extra_plugins`` (tests, embedding).
The environment variable ``RACETRACK_PLUGINS`` (comma-separated entry point names) limits which
entry points load; unset means all of them, an empty value means none.

Plugins installed as ZIP bundles (``racetrack.plugins.bundles``) load after those, in
(priority, version) order, and are loaded again by :meth:`PluginEngine.reload` whenever the
bundle directory changes (upload, uninstall, config save, in this or another process). A bundle
that fails to load is listed with its error and the others still work.

Each plugin's ``racetrack_job_types`` and ``racetrack_infrastructure_targets`` hook gets a
``register`` callback and its own :class:`PluginContext` (``<data_dir>/<plugin name>``, its
settings, the platform's cipher). Errors in those hooks are fatal for entry-point plugins (read
once, at start-up) and mark a bundle as failed. The side-effect hooks called through
:meth:`PluginEngine.notify` (``post_job_deploy``, ``post_job_delete``) are isolated: a failure
is logged and the others run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
import yaml
from loguru import logger

from racetrack.core.errors import DeploymentError, InvalidInputError, RacetrackError
from racetrack.core.plugin_bundle import PluginManifest
from racetrack.core.semver import SemanticVersion, resolve_wildcard_version
from racetrack.plugins import hookspecs
from racetrack.plugins.adapter import bundle_adapter
from racetrack.plugins.bundles import LoadedPlugin, PluginStore, sort_key, split_key
from racetrack.plugins.interfaces import InfrastructureTarget, JobType, PluginContext

ENTRY_POINT_GROUP = "racetrack"
PLUGINS_ENV_VAR = "RACETRACK_PLUGINS"

Cipher = Callable[[bytes], bytes]


def plugin_name(plugin: object) -> str:
    """The name a plugin is known by: ``plugin_name`` attribute, else module or class name."""
    explicit = getattr(plugin, "plugin_name", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    if isinstance(plugin, ModuleType):
        return plugin.__name__.rsplit(".", 1)[-1]
    if isinstance(plugin, type):
        return plugin.__name__.lower()
    return type(plugin).__name__.lower()


def enabled_entry_point_names(environ: dict[str, str] | None = None) -> set[str] | None:
    """Names listed in ``RACETRACK_PLUGINS``; None when the variable is unset (load all)."""
    value = (os.environ if environ is None else environ).get(PLUGINS_ENV_VAR)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


class Registry:
    """Job types and targets registered by a group of plugins, with who registered each."""

    def __init__(self) -> None:
        self.job_types: dict[str, JobType] = {}
        self.job_type_providers: dict[str, str] = {}  # "name:version" -> plugin name
        self.targets: dict[str, InfrastructureTarget] = {}
        self.target_providers: dict[str, str] = {}  # target name -> plugin name

    def add_job_type(self, plugin: str, job_type: Any) -> None:
        if not isinstance(job_type, JobType):
            raise RacetrackError(f"plugin {plugin} registered a job type without name/version/local_recipe")
        if not job_type.name or ":" in job_type.name or not job_type.version:
            raise RacetrackError(f"plugin {plugin} registered an invalid job type {job_type.name!r}")
        key = f"{job_type.name}:{job_type.version}"
        if key in self.job_types:
            logger.warning("job type registered twice; the later plugin wins", job_type=key, plugin=plugin)
        self.job_types[key] = job_type
        self.job_type_providers[key] = plugin

    def add_target(self, plugin: str, target: Any) -> None:
        if not isinstance(target, InfrastructureTarget):
            raise RacetrackError(
                f"plugin {plugin} registered an infrastructure target missing methods of the interface"
            )
        if target.name in self.targets:
            logger.warning(
                "target registered twice; the later plugin wins", target=target.name, plugin=plugin
            )
        self.targets[target.name] = target
        self.target_providers[target.name] = plugin

    def drop(self, plugin: str) -> None:
        """Forget what ``plugin`` registered."""
        for key in [k for k, v in self.job_type_providers.items() if v == plugin]:
            del self.job_types[key], self.job_type_providers[key]
        for key in [k for k, v in self.target_providers.items() if v == plugin]:
            del self.targets[key], self.target_providers[key]


class PluginEngine:
    """Loads plugins and answers which job types and infrastructure targets are installed.

    Args:
        data_dir: parent of every plugin's own directory (``<data_dir>/<plugin name>``).
        plugin_settings: each plugin's configuration, keyed by plugin name.
        encrypt: the platform's cipher (Fernet), handed to plugins for secrets at rest.
        decrypt: its inverse.
        extra_plugins: plugin objects or modules registered after the entry points.
        store: the ZIP bundles directory; None loads no bundles.
        component: which component this is (a bundle may load only in some).
    """

    def __init__(
        self,
        data_dir: Path,
        plugin_settings: dict[str, dict[str, Any]],
        encrypt: Cipher,
        decrypt: Cipher,
        extra_plugins: Sequence[object] = (),
        store: PluginStore | None = None,
        component: str = "lifecycle",
    ) -> None:
        self.data_dir = data_dir
        self._settings = plugin_settings
        self._encrypt = encrypt
        self._decrypt = decrypt
        self.store = store
        self.component = component
        self._manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._manager.add_hookspecs(hookspecs)
        self._contexts: dict[str, PluginContext] = {}
        self._lock = threading.RLock()
        self._started = False
        self._static = Registry()
        self._bundle_registry = Registry()
        self._bundles: list[LoadedPlugin] = []
        self._last_change = ""
        for name, plugin in [*self._entry_point_plugins(), *((plugin_name(p), p) for p in extra_plugins)]:
            self._register_plugin(name, plugin)
        self._static_names = list(self._contexts)
        self._collect(self._static_names, self._static, fatal=True)
        self._merge()
        if self.store is not None:
            self.reload()

    # -- loading -------------------------------------------------------------------------------

    def _entry_point_plugins(self) -> Iterable[tuple[str, object]]:
        enabled = enabled_entry_point_names()
        found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        for ep in found:
            if enabled is not None and ep.name not in enabled:
                logger.debug("plugin skipped by " + PLUGINS_ENV_VAR, plugin=ep.name)
                continue
            try:
                plugin = ep.load()
            except Exception as e:
                raise RacetrackError(f"loading plugin {ep.name} ({ep.value}): {e}") from e
            yield ep.name, plugin
        if enabled is not None:
            missing = enabled - {ep.name for ep in found}
            if missing:
                logger.warning(
                    f"{PLUGINS_ENV_VAR} names plugins that are not installed", plugins=sorted(missing)
                )

    def _register_plugin(self, name: str, plugin: object, settings: dict[str, Any] | None = None) -> None:
        if self._manager.has_plugin(name):
            raise RacetrackError(f"two plugins are named {name!r}; rename one (attribute plugin_name)")
        try:
            self._manager.register(plugin, name=name)
        except Exception as e:
            raise RacetrackError(f"registering plugin {name}: {e}") from e
        plugin_dir = self.data_dir / name
        plugin_dir.mkdir(parents=True, exist_ok=True)
        self._contexts[name] = PluginContext(
            data_dir=plugin_dir,
            settings=dict(settings if settings is not None else (self._settings.get(name) or {})),
            encrypt=self._encrypt,
            decrypt=self._decrypt,
        )
        logger.debug("plugin loaded", plugin=name)

    def _call_registry_hook(
        self, hook_name: str, register: Callable[[str, Any], None], only: Collection[str]
    ) -> None:
        caller = getattr(self._manager.hook, hook_name)
        for impl in caller.get_hookimpls():  # registration order: a later plugin overrides
            name = impl.plugin_name
            if name not in only:
                continue
            context = self._contexts[name]
            kwargs: dict[str, Any] = {
                "register": lambda item, _n=name: register(_n, item),
                "context": context,
            }
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except RacetrackError as e:
                raise type(e)(f'invoking hook "{hook_name}" of plugin {name}: {e.message}') from e
            except Exception as e:
                raise RacetrackError(f'invoking hook "{hook_name}" of plugin {name}: {e}') from e

    def _collect(self, names: Collection[str], registry: Registry, *, fatal: bool) -> None:
        """Fill ``registry`` from the registry hooks of the plugins ``names``. A failing bundle
        (``fatal=False``) is unregistered and marked failed; the others still register."""
        for name in names:
            try:
                self._call_registry_hook("racetrack_job_types", registry.add_job_type, only={name})
                self._call_registry_hook("racetrack_infrastructure_targets", registry.add_target, only={name})
            except RacetrackError as e:
                if fatal:
                    raise
                registry.drop(name)
                self._fail_bundle(name, e.message)

    def _merge(self) -> None:
        """The registries in use: entry-point plugins, then bundles (a later one wins)."""
        self._job_types = {**self._static.job_types, **self._bundle_registry.job_types}
        self._job_type_providers = {
            **self._static.job_type_providers,
            **self._bundle_registry.job_type_providers,
        }
        self._targets = {**self._static.targets, **self._bundle_registry.targets}
        self._target_providers = {**self._static.target_providers, **self._bundle_registry.target_providers}

    # -- bundles -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Load every stored bundle again (after an upload, uninstall or config change)."""
        if self.store is None:
            return
        with self._lock:
            last_change = self.store.last_change()
            old_targets = dict(self._bundle_registry.targets)
            for loaded in self._bundles:
                if self._manager.has_plugin(loaded.key):
                    self._manager.unregister(name=loaded.key)
                self._contexts.pop(loaded.key, None)
            bundles = [self._load(path) for path in self.store.bundles()]
            bundles.sort(key=lambda loaded: sort_key(loaded.manifest))
            self._bundles = bundles
            for loaded in bundles:
                if loaded.instance is None:
                    continue
                try:
                    settings = yaml.safe_load(loaded.config_path.read_text(encoding="utf-8")) or {}
                    if not isinstance(settings, dict):
                        raise RacetrackError("its config.yaml must be a mapping")
                    self._register_plugin(loaded.key, bundle_adapter(loaded), settings)
                except (RacetrackError, yaml.YAMLError, OSError) as e:
                    loaded.error = f"registering the plugin failed: {e}"
                    loaded.instance = None
            registry = Registry()
            self._bundle_registry = registry
            self._collect([b.key for b in bundles if b.instance is not None], registry, fatal=False)
            self._merge()
            self._last_change = last_change
            self._restart_targets(old_targets)
        logger.info(
            "plugin bundles loaded",
            plugins=[f"{b.key}" + (" (failed)" if b.error else "") for b in self._bundles],
        )

    def reload_if_changed(self) -> bool:
        """Reload when the bundle directory changed since the last load; whether it did."""
        if self.store is None or self.store.last_change() == self._last_change:
            return False
        self.reload()
        return True

    def _load(self, path: Path) -> LoadedPlugin:
        assert self.store is not None
        try:
            return self.store.load(path, self.component)
        except RacetrackError as e:
            parts = split_key(path.stem)
            manifest = PluginManifest(
                name=parts[0] if parts else "unknown", version=parts[1] if parts else "0.0.0"
            )
            return LoadedPlugin(manifest, path, path, error=e.message)

    def _fail_bundle(self, name: str, error: str) -> None:
        for loaded in self._bundles:
            if loaded.key == name:
                loaded.error = error
                loaded.instance = None
        if self._manager.has_plugin(name):
            self._manager.unregister(name=name)
        self._contexts.pop(name, None)
        logger.error("plugin failed to load", plugin=name, error=error)

    def _restart_targets(self, old: dict[str, InfrastructureTarget]) -> None:
        """Stop the bundle targets that were replaced or removed; start the new ones."""
        if not self._started:
            return
        current = self._bundle_registry.targets
        gone = [(name, t, "stop") for name, t in old.items() if current.get(name) is not t]
        new = [(name, t, "start") for name, t in current.items() if old.get(name) is not t]
        for name, target, action in gone + new:
            try:
                getattr(target, action)()
            except Exception as e:
                logger.opt(exception=e).error("infrastructure target failed to " + action, target=name)

    def try_bundle(self, loaded: LoadedPlugin) -> None:
        """Register what a freshly loaded bundle provides into a throwaway registry: the trial an
        upload passes before it is stored.

        Raises:
            RacetrackError: a registry hook failed or registered something invalid.
        """
        registry = Registry()
        adapter = bundle_adapter(loaded)
        context = PluginContext(self.data_dir / loaded.key, {}, self._encrypt, self._decrypt)
        for hook, add in (
            ("racetrack_job_types", registry.add_job_type),
            ("racetrack_infrastructure_targets", registry.add_target),
        ):
            function = getattr(adapter, hook, None)
            if function is None:
                continue
            try:
                function(register=lambda item, _add=add: _add(loaded.key, item), context=context)
            except RacetrackError:
                raise
            except Exception as e:
                raise RacetrackError(str(e) or type(e).__name__) from e

    def bundles(self) -> list[LoadedPlugin]:
        """The installed bundles in load order, failed ones included."""
        return list(self._bundles)

    def plugin_object(self, name: str) -> object | None:
        """The plugin called ``name``: the newest loaded bundle of that name, else an entry-point
        plugin (its object or module)."""
        loaded = [b for b in self._bundles if b.manifest.name == name and b.instance is not None]
        if loaded:
            newest: object = max(loaded, key=lambda b: SemanticVersion.parse(b.manifest.version)).instance
            return newest
        static: object | None = self._manager.get_plugin(name) if name in self._static_names else None
        return static

    def static_plugin_names(self) -> list[str]:
        """Entry-point (and embedded) plugins, which cannot be uninstalled at run time."""
        return list(self._static_names)

    # -- queries -------------------------------------------------------------------------------

    @property
    def hook(self) -> Any:
        """pluggy's hook relay: ``engine.hook.post_job_deploy(manifest=..., ...)`` (errors propagate)."""
        return self._manager.hook

    def plugin_names(self) -> list[str]:
        """Names of the loaded plugins in registration order."""
        return list(self._contexts)

    def context(self, name: str) -> PluginContext:
        """The context handed to plugin ``name``."""
        return self._contexts[name]

    def plugin(self, name: str) -> object:
        """The registered plugin object (or module) named ``name``."""
        return self._manager.get_plugin(name)

    def job_type_providers(self) -> dict[str, str]:
        """Installed job types (``name:version``) mapped to the plugin that registered each."""
        return dict(self._job_type_providers)

    def target_providers(self) -> dict[str, str]:
        """Installed infrastructure targets mapped to the plugin that registered each."""
        return dict(self._target_providers)

    def job_types(self) -> dict[str, JobType]:
        """Installed job types keyed ``name:version``."""
        return dict(self._job_types)

    def resolve_job_type(self, ref: str) -> JobType:
        """The job type a manifest's ``jobtype`` names: exact, ``latest`` or a ``*`` wildcard.

        Raises:
            InvalidInputError: malformed reference, or no installed version matches.
        """
        if ref.count(":") != 1 or not all(ref.split(":")):
            raise InvalidInputError(f'job type should be specified as "name:version", got {ref!r}')
        name, wanted = ref.split(":")
        installed = sorted(self._job_types)
        if not installed:
            raise InvalidInputError(
                f"job type {ref} is not installed: no job type plugins are installed in Racetrack"
            )
        versions = [key.split(":", 1)[1] for key in installed if key.split(":", 1)[0] == name]
        version = resolve_wildcard_version(versions, wanted)
        if version is None:
            raise InvalidInputError(
                f"job type {ref} is not installed; installed job types: {', '.join(installed)}"
            )
        return self._job_types[f"{name}:{version}"]

    def validate_manifest(self, job_type: JobType, manifest: Any) -> None:
        """Let the plugin providing ``job_type`` check the manifest (its optional
        ``validate_job_manifest(manifest, job_type)`` hook, ``job_type`` as ``name:version``).

        Raises:
            InvalidInputError: the plugin refused it; the message says why.
        """
        key = f"{job_type.name}:{job_type.version}"
        provider = self._job_type_providers.get(key)
        bundle = next((b for b in self._bundles if b.key == provider), None)
        plugin = bundle.instance if bundle is not None else self._manager.get_plugin(provider or "")
        validate = getattr(plugin, "validate_job_manifest", None)
        if not callable(validate):
            return
        try:
            validate(manifest, key)
        except Exception as e:
            reason = e.message if isinstance(e, RacetrackError) else str(e) or type(e).__name__
            raise InvalidInputError(f"invalid manifest according to job type rules: {reason}") from e

    def infrastructure_targets(self) -> dict[str, InfrastructureTarget]:
        """Installed infrastructure targets keyed by name."""
        return dict(self._targets)

    def choose_target(self, requested: str | None, default: str | None) -> InfrastructureTarget:
        """Where a deployment goes: the manifest's target, else the only one, else the default.

        Raises:
            InvalidInputError: the requested target is not installed, or several are and none
                was requested or configured.
            DeploymentError: no target is installed, or the configured default is not.
        """
        names = sorted(self._targets)
        if requested:
            if requested not in self._targets:
                raise InvalidInputError(
                    f"infrastructure target {requested!r} is not installed; "
                    f"installed targets: {names or 'none'}"
                )
            return self._targets[requested]
        if not names:
            raise DeploymentError("No infrastructure targets available. Install appropriate plugin.")
        if len(names) == 1:
            return self._targets[names[0]]
        if default:
            if default not in self._targets:
                raise DeploymentError(
                    f"the configured default infrastructure target {default!r} is not installed; "
                    f"installed targets: {names}"
                )
            return self._targets[default]
        raise InvalidInputError(f"Multiple infrastructure targets available: {names}. Please pick one.")

    def runtime_env_vars(self) -> dict[str, str]:
        """Extra runtime env vars from every plugin's ``job_runtime_env_vars`` (later plugins win)."""
        merged: dict[str, str] = {}
        for impl in self._manager.hook.job_runtime_env_vars.get_hookimpls():
            try:
                result = impl.function()
            except Exception as e:
                raise RacetrackError(
                    f'invoking hook "job_runtime_env_vars" of plugin {impl.plugin_name}: {e}'
                ) from e
            if result is None:
                continue
            if not isinstance(result, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in result.items()
            ):
                raise RacetrackError(
                    f'hook "job_runtime_env_vars" of plugin {impl.plugin_name} '
                    "must return dict[str, str] or None"
                )
            merged.update(result)
        return merged

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call a side-effect hook on every plugin; a failing plugin is logged, the others still run."""
        caller = getattr(self._manager.hook, hook_name)
        for impl in caller.get_hookimpls():
            try:
                impl.function(**{arg: kwargs.get(arg) for arg in impl.argnames})
            except Exception as e:
                logger.opt(exception=e).error(
                    'hook "{}" of plugin {} failed', hook_name, impl.plugin_name, plugin=impl.plugin_name
                )

    # -- lifetime ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every target (adopt or restart the jobs it should be running)."""
        self._started = True
        for name, target in self._targets.items():
            try:
                target.start()
            except Exception as e:
                raise RacetrackError(f"starting infrastructure target {name}: {e}") from e

    def stop(self) -> None:
        """Stop every target; a failing one is logged and the others still stop."""
        self._started = False
        for name, target in self._targets.items():
            try:
                target.stop()
            except Exception as e:
                logger.opt(exception=e).error("stopping infrastructure target failed", target=name)
