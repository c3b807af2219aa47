"""Plugin bundles: the ZIP format, its ``plugin-manifest.yaml``, the bundler and the upload check.

A bundle holds ``plugin-manifest.yaml`` and ``plugin.py`` at its root, plus anything the plugin
uses. The CLI bundles a directory (``racetrack plugin bundle``); Lifecycle checks every upload
with :func:`read_bundle` before storing it. This module needs only PyYAML and pydantic, so the
CLI can import it without any server dependency.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from racetrack.core.errors import InvalidInputError, validation_problems
from racetrack.core.file_matching import FileMatcher, collect_files
from racetrack.core.semver import SemanticVersion

MANIFEST_FILE = "plugin-manifest.yaml"
ENTRYPOINT_FILE = "plugin.py"
IGNORE_FILE = ".racetrackignore"
MIB = 1024 * 1024
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"

Category = Literal["job-type", "infrastructure", "core"]
Component = Literal["lifecycle", "image-builder"]


class PluginManifest(BaseModel):
    """``plugin-manifest.yaml``; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    version: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN)
    url: str | None = None
    priority: int = 0
    category: Category | None = None
    components: list[Component] = Field(default_factory=list)
    build_date: str | None = None

    @field_validator("name", "version", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("version")
    @classmethod
    def _semantic(cls, value: str) -> str:
        if not SemanticVersion.is_valid(value):
            raise ValueError(f"version {value!r} must be a semantic version X.Y.Z[-label]")
        return value

    @property
    def key(self) -> str:
        """``<name>-<version>``: the stored ZIP's stem, its extraction and config directory."""
        return f"{self.name}-{self.version}"

    def loads_in(self, component: str) -> bool:
        """Whether the ``component`` (``lifecycle``, ``image-builder``) runs this plugin's hooks."""
        return not self.components or component in self.components


def parse_manifest(text: str | bytes, source: str = MANIFEST_FILE) -> PluginManifest:
    """Parse and validate a manifest.

    Raises:
        InvalidInputError: not YAML, not a mapping, or a field breaks a rule (named with its path).
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InvalidInputError(f"{source} is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise InvalidInputError(f"{source} must be a mapping with at least name and version")
    try:
        return PluginManifest.model_validate(data)
    except ValidationError as e:
        raise InvalidInputError(f"invalid {source}: {validation_problems(e, messages=_MESSAGES)}") from e


_MESSAGES = {"extra_forbidden": "unknown field (allowed: " + ", ".join(PluginManifest.model_fields) + ")"}


# -- upload check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleLimits:
    max_bytes: int = 200 * MIB  # unpacked
    max_members: int = 20_000


@dataclass(frozen=True)
class Bundle:
    """A checked bundle: its manifest and the ZIP's bytes."""

    manifest: PluginManifest
    data: bytes


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    path = PurePosixPath(name)
    if "\\" in name:
        return "backslashes are not allowed in paths (use /)"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in path.parts:
        return "path leaves the plugin directory"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic links are not allowed"
    if info.flag_bits & 0x1:
        return "encrypted entries are not allowed"
    return None


def read_bundle(data: bytes, limits: BundleLimits = BundleLimits()) -> Bundle:
    """Check an uploaded ZIP without extracting it: safe member paths, size, manifest, plugin.py.

    Raises:
        InvalidInputError: what is wrong and how to fix it.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise InvalidInputError(f"plugin bundle is not a ZIP file: {e}") from e
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise InvalidInputError(f"plugin bundle has more than {limits.max_members} entries")
        total = 0
        for info in members:
            problem = _member_problem(info)
            if problem:
                raise InvalidInputError(f"plugin bundle entry '{info.filename[:200]}' rejected: {problem}")
            total += info.file_size
            if total > limits.max_bytes:
                raise InvalidInputError(
                    f"plugin bundle exceeds {limits.max_bytes // MIB} MiB unpacked; leave large files out "
                    f"({IGNORE_FILE})"
                )
        names = {info.filename for info in members}
        for required in (MANIFEST_FILE, ENTRYPOINT_FILE):
            if required not in names:
                raise InvalidInputError(
                    f"plugin bundle has no {required} at its root; bundle the plugin's directory with "
                    "`racetrack plugin bundle`"
                )
        try:
            manifest = parse_manifest(archive.read(MANIFEST_FILE))
        except zipfile.BadZipFile as e:
            raise InvalidInputError(f"plugin bundle is damaged: {e}") from e
    return Bundle(manifest, data)


def extract_bundle(data: bytes, destination: Path) -> None:
    """Unpack a bundle checked by :func:`read_bundle` into ``destination`` (created)."""
    destination.mkdir(parents=True, exist_ok=True)
    root = destination.resolve()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if _member_problem(info):  # read_bundle refused these already; never trust twice
                raise InvalidInputError(f"plugin bundle entry '{info.filename[:200]}' rejected")
            target = (root / info.filename).resolve()
            if not target.is_relative_to(root):
                raise InvalidInputError(f"plugin bundle entry '{info.filename[:200]}' rejected")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(target, "wb") as sink:
                while chunk := source.read(1024 * 1024):
                    sink.write(chunk)


# -- bundling ----------------------------------------------------------------------------------


def bundle_plugin(
    workdir: Path,
    *,
    out_dir: Path | None = None,
    out_filename: str | None = None,
    plugin_version: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[Path, PluginManifest]:
    """Pack ``workdir`` into ``<out_dir>/<name>-<version>.zip`` (deflated).

    Every file is included except the defaults (``*.zip``, ``.git``, ``*.pyc``, ``__pycache__``,
    ``.gitignore``, the top-level ``.racetrackignore``) and what ``.racetrackignore`` excludes.
    The manifest is written anew with ``build_date`` (and ``--plugin-version``).

    Raises:
        InvalidInputError: no plugin.py or manifest, or an invalid manifest.
    """
    workdir = Path(workdir)
    manifest_path = workdir / MANIFEST_FILE
    if not manifest_path.is_file():
        raise InvalidInputError(f"{manifest_path} not found: a plugin directory needs {MANIFEST_FILE}")
    if not (workdir / ENTRYPOINT_FILE).is_file():
        raise InvalidInputError(f"{workdir / ENTRYPOINT_FILE} not found: a plugin defines class Plugin there")
    manifest = parse_manifest(manifest_path.read_bytes(), str(manifest_path))
    changes: dict[str, object] = {"build_date": now().strftime("%Y-%m-%dT%H%M%SZ")}
    if plugin_version:
        changes["version"] = plugin_version
    try:
        manifest = PluginManifest.model_validate({**manifest.model_dump(), **changes})
    except ValidationError as e:  # only the overridden version can be wrong here
        raise InvalidInputError(
            f"invalid --plugin-version {plugin_version!r}: {validation_problems(e)}"
        ) from e
    destination = Path(out_dir) if out_dir is not None else workdir
    destination.mkdir(parents=True, exist_ok=True)
    filename = out_filename or f"{manifest.key}.zip"
    if not filename.endswith(".zip"):
        filename += ".zip"
    output = destination / filename
    matcher = FileMatcher.from_ignore_file(workdir / IGNORE_FILE)
    files = collect_files(workdir, matcher)
    manifest_text = yaml.safe_dump(manifest.model_dump(exclude_none=True), sort_keys=False)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST_FILE, manifest_text)
        for relative in files:
            if (workdir / relative).resolve() == output.resolve():
                continue
            archive.write(workdir / relative, arcname=relative)
    return output, manifest
