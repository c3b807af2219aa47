"""The job manifest (``job.yaml``): model, loading with ``extends`` and extra vars, validation,
JSON schema. Shared by the CLI and the server; imports nothing from either."""

from __future__ import annotations

from racetrack.manifest.errors import ManifestError
from racetrack.manifest.extra_vars import apply_extra_vars
from racetrack.manifest.legacy import deprecation_warnings
from racetrack.manifest.loading import LoadedManifest, load_manifest, parse_manifest, parse_manifest_yaml
from racetrack.manifest.model import DockerSpec, GitSpec, Manifest, Resources
from racetrack.manifest.quantity import Quantity
from racetrack.manifest.resources import EffectiveResources, effective_resources
from racetrack.manifest.schema import manifest_json_schema
from racetrack.manifest.secrets import read_secret_env_file

__all__ = [
    "DockerSpec",
    "EffectiveResources",
    "GitSpec",
    "LoadedManifest",
    "Manifest",
    "ManifestError",
    "Quantity",
    "Resources",
    "apply_extra_vars",
    "deprecation_warnings",
    "effective_resources",
    "load_manifest",
    "manifest_json_schema",
    "parse_manifest",
    "parse_manifest_yaml",
    "read_secret_env_file",
]
