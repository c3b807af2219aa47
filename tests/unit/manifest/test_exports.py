"""The public surface of ``racetrack.manifest`` is exactly ``__all__``, each name documented."""

from __future__ import annotations

import inspect

import racetrack.manifest as package

EXPECTED = {
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
}


def test_all_lists_the_public_api() -> None:
    assert set(package.__all__) == EXPECTED
    assert sorted(package.__all__) == package.__all__


def test_every_exported_name_exists_and_has_a_docstring() -> None:
    for name in package.__all__:
        member = getattr(package, name)
        assert inspect.getdoc(member), f"{name} has no docstring"


def test_no_other_public_objects_leak_from_the_package() -> None:
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(package.__all__)
