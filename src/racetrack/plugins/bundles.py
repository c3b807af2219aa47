"""Plugins installed as ZIP bundles: where they are stored and how one is loaded.

Layout under the plugins directory (shared by every Lifecycle process)::

    <name>-<version>.zip             the uploaded bundles
    extracted/<name>-<version>/      unpacked once, reused while present
    config/<name>-<version>/config.yaml   the plugin's own config, kept across re-uploads
    deps/<name>-<version>/           its requirements.txt, installed once (uv, --target)
    last-change.txt                  changes counter every process watches

Loading imports ``plugin.py`` under a module name of its own, with the plugin directory (and
its dependencies) on ``sys.path``, and instantiates ``Plugin`` with ``plugin_dir``,
``plugin_manifest`` and ``config_path`` set on the class first, so ``__init__`` can use them.
The plugin's own modules are dropped from ``sys.modules`` afterwards, so two plugins shipping a
``deployer.py`` each keep their own. A plugin that fails to load is kept with its error; the
others load regardless.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from racetrack.core.errors import InvalidInputError, NotFoundError, RacetrackError
from racetrack.core.plugin_bundle import (
    ENTRYPOINT_FILE,
    Bundle,
    PluginManifest,
    extract_bundle,
    read_bundle,
)
from racetrack.core.semver import SemanticVersion

REQUIREMENTS_FILE = "requirements.txt"
COMPLETE = ".complete"  # written last into an extracted or deps directory
_module_counter = itertools.count(1)


@dataclass
class LoadedPlugin:
    """One bundle as loaded in this process: ``instance`` is None when it failed (``error``)
    or belongs to another component."""

    manifest: PluginManifest
    directory: Path
    config_path: Path
    instance: Any = None
    error: str | None = None

    @property
    def key(self) -> str:
        return self.manifest.key


def split_key(key: str) -> tuple[str, str] | None:
    """``<name>-<version>`` back into its parts (the version is the semantic version at the end)."""
    for index, char in enumerate(key):
        if char == "-" and SemanticVersion.is_valid(key[index + 1 :]):
            return key[:index], key[index + 1 :]
    return None


def sort_key(manifest: PluginManifest) -> tuple[int, SemanticVersion, str]:
    """Load order: priority, then version (ascending), then name."""
    return manifest.priority, SemanticVersion.parse(manifest.version), manifest.name


class PluginStore:
    """The bundles on disk and their extracted files, configs and dependencies."""

    def __init__(self, root: Path, deps_root: Path | None = None) -> None:
        self.root = root
        self._deps_root = deps_root or root / "deps"  # a trial load shares the real one

    @property
    def change_file(self) -> Path:
        return self.root / "last-change.txt"

    def bundle_path(self, name: str, version: str) -> Path:
        return self.root / f"{name}-{version}.zip"

    def extracted_dir(self, key: str) -> Path:
        return self.root / "extracted" / key

    def config_path(self, key: str) -> Path:
        return self.root / "config" / key / "config.yaml"

    def deps_dir(self, key: str) -> Path:
        return self._deps_root / key

    def bundles(self) -> list[Path]:
        """Stored ZIPs sorted by file name."""
        if not self.root.is_dir():
            return []
        return sorted(path for path in self.root.glob("*.zip") if path.is_file())

    def read(self, name: str, version: str) -> bytes:
        path = self.bundle_path(name, version)
        if not path.is_file():
            raise NotFoundError(f"plugin {name} {version} is not installed")
        return path.read_bytes()

    def last_change(self) -> str:
        try:
            return self.change_file.read_text().strip()
        except FileNotFoundError:
            return ""

    def mark_changed(self) -> None:
        """Tell every process sharing this directory to reload its plugins."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".last-change-{uuid.uuid4().hex}"
        tmp.write_text(f"{time.time():.6f} {uuid.uuid4().hex}\n")
        os.replace(tmp, self.change_file)

    def save(self, bundle: Bundle, *, replace: bool) -> list[str]:
        """Store a checked bundle (over the same name and version; with ``replace`` over every
        version of that name). Returns the keys of the versions it removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        manifest = bundle.manifest
        removed = []
        for path in self.bundles():
            name_version = split_key(path.stem)
            if path.stem == manifest.key:
                self._remove_files(path.stem)
            elif replace and name_version is not None and name_version[0] == manifest.name:
                self._remove_files(path.stem)
                removed.append(path.stem)
        tmp = self.root / f".upload-{uuid.uuid4().hex}.zip.part"
        tmp.write_bytes(bundle.data)
        os.replace(tmp, self.bundle_path(manifest.name, manifest.version))
        return removed

    def remove(self, name: str, version: str) -> None:
        """Delete a version's ZIP, extracted files and dependencies (its config stays)."""
        key = f"{name}-{version}"
        if not self.bundle_path(name, version).is_file() and not self.extracted_dir(key).exists():
            raise NotFoundError(f"plugin {name} {version} is not installed")
        self._remove_files(key)

    def _remove_files(self, key: str) -> None:
        (self.root / f"{key}.zip").unlink(missing_ok=True)
        for directory in (self.extracted_dir(key), self.deps_dir(key)):
            shutil.rmtree(directory, ignore_errors=True)

    def remove_all(self) -> list[str]:
        """Delete every bundle with its extracted files and dependencies; returns their keys."""
        keys = [path.stem for path in self.bundles()]
        for path in self.bundles():
            path.unlink(missing_ok=True)
        shutil.rmtree(self.root / "extracted", ignore_errors=True)
        shutil.rmtree(self._deps_root, ignore_errors=True)
        return keys

    def read_config(self, key: str) -> str:
        path = self.config_path(key)
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    def write_config(self, key: str, text: str) -> None:
        path = self.config_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.part")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)

    # -- loading ---------------------------------------------------------------------------------

    def load(self, path: Path, component: str) -> LoadedPlugin:
        """Load one stored bundle; a failure is returned as the plugin's ``error``."""
        try:
            bundle = read_bundle(path.read_bytes())
        except (OSError, RacetrackError) as e:
            raise InvalidInputError(f"stored plugin bundle {path.name} is unreadable: {e}") from e
        return self.load_bundle(bundle, component)

    def load_bundle(self, bundle: Bundle, component: str) -> LoadedPlugin:
        manifest = bundle.manifest
        directory = self.extracted_dir(manifest.key)
        config_path = self.config_path(manifest.key)
        loaded = LoadedPlugin(manifest, directory, config_path)
        try:
            self._extract(bundle, directory)
            if not config_path.exists():
                config_path.parent.mkdir(parents=True, exist_ok=True)
                config_path.touch()
            if not manifest.loads_in(component):
                return loaded
            deps = self._install_requirements(manifest.key, directory)
            loaded.instance = instantiate(manifest, directory, config_path, deps)
        except Exception as e:
            loaded.error = str(e) or type(e).__name__
            logger.error(
                "plugin failed to load", plugin=manifest.name, version=manifest.version, error=loaded.error
            )
        return loaded

    def _extract(self, bundle: Bundle, directory: Path) -> None:
        if (directory / COMPLETE).is_file():
            return
        shutil.rmtree(directory, ignore_errors=True)
        tmp = directory.with_name(f".{directory.name}-{uuid.uuid4().hex[:8]}")
        try:
            extract_bundle(bundle.data, tmp)
            (tmp / COMPLETE).write_text("")
            try:
                os.rename(tmp, directory)
            except OSError:  # extracted meanwhile by another process
                if not (directory / COMPLETE).is_file():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _install_requirements(self, key: str, directory: Path) -> Path | None:
        requirements = directory / REQUIREMENTS_FILE
        if not requirements.is_file() or not requirements.read_text(encoding="utf-8").strip():
            return None
        target = self.deps_dir(key)
        if (target / COMPLETE).is_file():
            return target
        shutil.rmtree(target, ignore_errors=True)
        tmp = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
        try:
            from uv import find_uv_bin

            command = [
                str(find_uv_bin()),
                "pip",
                "install",
                "--quiet",
                "--no-progress",
                "--python",
                sys.executable,
                "--target",
                str(tmp),
                "-r",
                str(requirements),
            ]
            env = {**os.environ, "UV_CACHE_DIR": str(self._deps_root.parent / "uv-cache"), "NO_COLOR": "1"}
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=600, env=env, check=False
            )
            if result.returncode != 0:
                lines = (result.stderr or result.stdout).strip().splitlines()[-15:]
                raise RacetrackError(f"installing {REQUIREMENTS_FILE} failed:\n" + "\n".join(lines))
            (tmp / COMPLETE).write_text("")
            try:
                os.rename(tmp, target)
            except OSError:
                if not (target / COMPLETE).is_file():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target


def _module_name(key: str) -> str:
    return "racetrack_plugin_" + re.sub(r"\W", "_", key) + f"_{next(_module_counter)}"


def instantiate(manifest: PluginManifest, directory: Path, config_path: Path, deps: Path | None) -> Any:
    """Import ``plugin.py`` and create its ``Plugin``; the plugin's local modules are unloaded after."""
    entrypoint = directory / ENTRYPOINT_FILE
    paths = [str(directory)] + ([str(deps)] if deps is not None else [])
    before = set(sys.modules)
    for path in reversed(paths):
        sys.path.insert(0, path)
    module_name = _module_name(manifest.key)
    try:
        spec = importlib.util.spec_from_file_location(module_name, entrypoint)
        if spec is None or spec.loader is None:
            raise RacetrackError(f"cannot import {entrypoint}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        plugin_class = getattr(module, "Plugin", None)
        if not isinstance(plugin_class, type):
            raise RacetrackError(f"{ENTRYPOINT_FILE} of plugin {manifest.key} defines no class Plugin")
        attributes = {"plugin_dir": directory, "plugin_manifest": manifest, "config_path": config_path}
        for attribute, value in attributes.items():
            setattr(plugin_class, attribute, value)
        instance = plugin_class()
        for attribute, value in attributes.items():
            setattr(instance, attribute, value)
        return instance
    finally:
        if deps is None:  # a plugin's dependencies stay importable: its code imports them later
            for path in paths:
                with contextlib.suppress(ValueError):
                    sys.path.remove(path)
        else:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(directory))
        _unload_local_modules(before, directory)


def _unload_local_modules(before: set[str], directory: Path) -> None:
    """Forget modules imported from the plugin's own directory (its plugin.py module included)."""
    root = str(directory.resolve())
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        origin = getattr(module, "__file__", None)
        if origin and str(Path(origin).resolve()).startswith(root + os.sep):
            sys.modules.pop(name, None)
