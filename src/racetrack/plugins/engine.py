"""The plugin engine: loads plugins with pluggy and keeps the job types and targets they register.

Plugins come from the ``racetrack`` entry point group (the built-in ``python3`` job type and
``local`` target included) plus any objects handed in as ``extra_plugins`` (tests, embedding).
The environment variable ``RACETRACK_PLUGINS`` (comma-separated entry point names) limits which
entry points load; unset means all of them, an empty value means none.

Registries are built once, when the engine is created: each plugin's ``racetrack_job_types``
and ``racetrack_infrastructure_targets`` hook gets a ``register`` callback and its own
:class:`PluginContext` (``<data_dir>/<plugin name>``, its settings, the platform's cipher).
Errors in those hooks are fatal; the side-effect hooks called through :meth:`PluginEngine.notify`
(``post_job_deploy``, ``post_job_delete``) are isolated: a failure is logged and the others run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from loguru import logger

from racetrack.core.errors import DeploymentError, InvalidInputError, RacetrackError
from racetrack.core.semver import resolve_wildcard_version
from racetrack.plugins import hookspecs
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


class PluginEngine:
    """Loads plugins and answers which job types and infrastructure targets are installed.

    Args:
        data_dir: parent of every plugin's own directory (``<data_dir>/<plugin name>``).
        plugin_settings: each plugin's configuration, keyed by plugin name.
        encrypt: the platform's cipher (Fernet), handed to plugins for secrets at rest.
        decrypt: its inverse.
        extra_plugins: plugin objects or modules registered after the entry points.
    """

    def __init__(
        self,
        data_dir: Path,
        plugin_settings: dict[str, dict[str, Any]],
        encrypt: Cipher,
        decrypt: Cipher,
        extra_plugins: Sequence[object] = (),
    ) -> None:
        self.data_dir = data_dir
        self._settings = plugin_settings
        self._encrypt = encrypt
        self._decrypt = decrypt
        self._manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._manager.add_hookspecs(hookspecs)
        self._contexts: dict[str, PluginContext] = {}
        self._job_types: dict[str, JobType] = {}
        self._targets: dict[str, InfrastructureTarget] = {}
        self._job_type_providers: dict[str, str] = {}  # "name:version" -> plugin name
        self._target_providers: dict[str, str] = {}  # target name -> plugin name
        for name, plugin in [*self._entry_point_plugins(), *((plugin_name(p), p) for p in extra_plugins)]:
            self._register_plugin(name, plugin)
        self._collect_job_types()
        self._collect_targets()

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

    def _register_plugin(self, name: str, plugin: object) -> None:
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
            settings=dict(self._settings.get(name) or {}),
            encrypt=self._encrypt,
            decrypt=self._decrypt,
        )
        logger.debug("plugin loaded", plugin=name)

    def _call_registry_hook(self, hook_name: str, register: Callable[[str, Any], None]) -> None:
        caller = getattr(self._manager.hook, hook_name)
        for impl in caller.get_hookimpls():  # registration order: a later plugin overrides
            name = impl.plugin_name
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

    def _collect_job_types(self) -> None:
        def register(plugin: str, job_type: Any) -> None:
            if not isinstance(job_type, JobType):
                raise RacetrackError(
                    f"plugin {plugin} registered a job type without name/version/local_recipe"
                )
            if not job_type.name or ":" in job_type.name or not job_type.version:
                raise RacetrackError(f"plugin {plugin} registered an invalid job type {job_type.name!r}")
            key = f"{job_type.name}:{job_type.version}"
            if key in self._job_types:
                logger.warning(
                    "job type registered twice; the later plugin wins", job_type=key, plugin=plugin
                )
            self._job_types[key] = job_type
            self._job_type_providers[key] = plugin

        self._call_registry_hook("racetrack_job_types", register)

    def _collect_targets(self) -> None:
        def register(plugin: str, target: Any) -> None:
            if not isinstance(target, InfrastructureTarget):
                raise RacetrackError(
                    f"plugin {plugin} registered an infrastructure target missing methods of the interface"
                )
            if target.name in self._targets:
                logger.warning(
                    "target registered twice; the later plugin wins", target=target.name, plugin=plugin
                )
            self._targets[target.name] = target
            self._target_providers[target.name] = plugin

        self._call_registry_hook("racetrack_infrastructure_targets", register)

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
                    f'hook "{hook_name}" of plugin {impl.plugin_name} failed', plugin=impl.plugin_name
                )

    # -- lifetime ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every target (adopt or restart the jobs it should be running)."""
        for name, target in self._targets.items():
            try:
                target.start()
            except Exception as e:
                raise RacetrackError(f"starting infrastructure target {name}: {e}") from e

    def stop(self) -> None:
        """Stop every target; a failing one is logged and the others still stop."""
        for name, target in self._targets.items():
            try:
                target.stop()
            except Exception as e:
                logger.opt(exception=e).error("stopping infrastructure target failed", target=name)
