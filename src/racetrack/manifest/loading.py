"""Reading a manifest: locate the file, parse YAML, resolve ``extends``, apply extra vars, validate.

The pipeline of ``racetrack validate`` / ``deploy`` (spec manifest.md §3) is
:func:`load_manifest`; the server validates received dictionaries with :func:`parse_manifest`.
Every failure is a :class:`ManifestError` whose message reads
``invalid manifest <file>: <field path>: <problem>[; <problem>...]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from racetrack.manifest import legacy
from racetrack.manifest.errors import ManifestError
from racetrack.manifest.extra_vars import apply_extra_vars
from racetrack.manifest.model import Manifest
from racetrack.manifest.overlay import check_extends_path, merge_overlay
from racetrack.manifest.problems import describe_value, problems_of
from racetrack.manifest.yaml_text import dump_yaml, parse_yaml


@dataclass
class LoadedManifest:
    """A validated manifest with where it came from.

    ``manifest_path`` is the file read (as derived from the given path, not resolved);
    ``job_dir`` is its directory, against which secret env files are resolved;
    ``origin_yaml`` is the file's own text when neither ``extends`` nor extra vars changed
    it, otherwise the merged manifest dumped as YAML; ``warnings`` lists deprecations.
    """

    manifest: Manifest
    manifest_path: Path
    job_dir: Path
    origin_yaml: str
    warnings: list[str] = field(default_factory=list)


def _as_mapping(document: Any) -> dict[str, Any]:
    expected = "a mapping of fields (name: ..., owner_email: ...)"
    if document is None:
        raise ManifestError(f"the manifest is empty; expected {expected}")
    if not isinstance(document, Mapping):
        raise ManifestError(f"the root must be {expected}, got {describe_value(document)}")
    bad = [key for key in document if not isinstance(key, str)]
    if bad:
        raise ManifestError(f"field names must be strings, got {describe_value(bad[0])}")
    return dict(document)


def _validate(data: Any, context: str) -> Manifest:
    try:
        return Manifest.model_validate(_as_mapping(data))
    except ManifestError as e:
        raise ManifestError.from_problems(context, e.problems) from None
    except ValidationError as e:
        raise ManifestError.from_problems(context, problems_of(Manifest, e)) from None


def parse_manifest(data: Mapping[str, Any]) -> Manifest:
    """Fully validate a manifest mapping (typed parse, schema rules, SemVer), e.g. a request body.

    Deprecated field names are accepted and mapped to the current ones.
    """
    return _validate(data, "invalid manifest")


def parse_manifest_yaml(text: str) -> Manifest:
    """Validate manifest YAML text (e.g. piped on stdin); ``extends`` is not resolved here."""
    try:
        document = parse_yaml(text)
    except ManifestError as e:
        raise ManifestError.from_problems("invalid manifest", e.problems) from None
    return _validate(document, "invalid manifest")


def locate_manifest(path: str | Path) -> tuple[Path, list[str]]:
    """The manifest file for ``path`` (a directory or a file) and any file-name warning."""
    path = Path(path)
    if path.is_dir():
        candidate = path / legacy.FILE_NAME
        if not candidate.is_file() and (path / legacy.LEGACY_FILE_NAME).is_file():
            candidate = path / legacy.LEGACY_FILE_NAME
        path = candidate
    if not path.is_file():
        raise ManifestError(f"local manifest file '{path}' doesn't exist")
    warnings = [legacy.file_name_warning(path.name)] if path.name == legacy.LEGACY_FILE_NAME else []
    return path, warnings


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ManifestError(f"cannot read '{path}': {type(e).__name__}") from None
    return text, _as_mapping(parse_yaml(text))


def _load_base(overlay_path: Path, extends: Any) -> tuple[dict[str, Any], list[str]]:
    base_path = overlay_path.parent / check_extends_path(extends)
    try:
        base_path, warnings = locate_manifest(base_path)
        _, base = _read(base_path)
    except ManifestError as e:
        problems = [f"extends: base manifest '{base_path}': {problem}" for problem in e.problems]
        raise ManifestError("; ".join(problems), problems) from None
    if base.get("extends") is not None:
        raise ManifestError(
            f"extends: base manifest '{base_path}' extends another manifest; only one level is allowed"
        )
    return base, warnings + legacy.deprecation_warnings(base)


def load_manifest(path: str | Path, extra_vars: Sequence[str] = ()) -> LoadedManifest:
    """Load, merge and validate the manifest at ``path`` (a job directory or a manifest file).

    Args:
        path: a directory holding ``job.yaml`` (or legacy ``fatman.yaml``), or a manifest file.
        extra_vars: ``KEY=VALUE`` overrides applied after the ``extends`` merge, in order.

    Raises:
        ManifestError: the file is missing or any rule is broken; the message names the file
            and every field path at fault.
    """
    manifest_path, warnings = locate_manifest(path)
    context = f"invalid manifest {manifest_path}"
    try:
        text, data = _read(manifest_path)
        warnings += legacy.deprecation_warnings(data)
        changed = False
        if data.get("extends") is not None:
            base, base_warnings = _load_base(manifest_path, data["extends"])
            warnings += base_warnings
            data, changed = merge_overlay(base, data), True
        if extra_vars:
            data, changed = apply_extra_vars(data, extra_vars), True
            warnings += legacy.deprecation_warnings(data)
    except ManifestError as e:
        raise ManifestError.from_problems(context, e.problems) from None
    manifest = _validate(data, context)
    origin_yaml = dump_yaml(data) if changed else text
    return LoadedManifest(
        manifest=manifest,
        manifest_path=manifest_path,
        job_dir=manifest_path.parent,
        origin_yaml=origin_yaml,
        warnings=list(dict.fromkeys(warnings)),
    )
