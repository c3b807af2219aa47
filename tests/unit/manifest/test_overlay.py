"""``extends``: an overlay file merged onto one base manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from racetrack.manifest import ManifestError, load_manifest
from racetrack.manifest.overlay import deep_merge, merge_overlay

from .conftest import WriteFile

BASE: dict[str, Any] = {
    "name": "churn-model",
    "owner_email": "ml-team@example.org",
    "jobtype": "python3:2.4.0",
    "git": {"remote": "https://git.example.org/ml/churn", "branch": "release", "directory": "services/churn"},
    "replicas": 2,
    "resources": {"memory_min": "512Mi", "memory_max": "2Gi", "cpu_min": "100m"},
    "system_dependencies": ["libgomp1", "curl"],
    "labels": {"team": "retention"},
}


def load_error(path: Path) -> str:
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    return str(info.value)


def test_overlay_merges_mappings_key_by_key(write: WriteFile) -> None:
    write("job.yaml", BASE)
    overlay = write(
        "envs/test/job.yaml",
        {
            "extends": "../../job.yaml",
            "name": "churn-model-test",
            "replicas": 1,
            "resources": {"memory_max": "1Gi"},
            "git": {"branch": "develop"},
        },
    )
    manifest = load_manifest(overlay).manifest
    assert manifest.name == "churn-model-test"
    assert manifest.replicas == 1
    assert manifest.git.remote == "https://git.example.org/ml/churn"
    assert manifest.git.branch == "develop"
    assert manifest.git.directory == "services/churn"
    assert manifest.resources is not None
    assert str(manifest.resources.memory_min) == "512Mi"
    assert str(manifest.resources.memory_max) == "1Gi"
    assert manifest.extends is None


def test_overlay_lists_and_scalars_replace_the_base(write: WriteFile) -> None:
    write("job.yaml", BASE)
    overlay = write("test.yaml", {"extends": "job.yaml", "system_dependencies": ["git"], "labels": None})
    manifest = load_manifest(overlay).manifest
    assert manifest.system_dependencies == ["git"]
    assert manifest.labels is None


def test_origin_yaml_is_the_merged_manifest_without_extends(write: WriteFile) -> None:
    write("job.yaml", BASE)
    overlay = write("test.yaml", {"extends": "job.yaml", "replicas": 1})
    origin = yaml.safe_load(load_manifest(overlay).origin_yaml)
    assert origin == {**BASE, "replicas": 1}
    assert "extends" not in origin


def test_job_dir_is_the_overlay_directory(write: WriteFile, tmp_path: Path) -> None:
    write("job.yaml", BASE)
    overlay = write("envs/test/job.yaml", {"extends": "../../job.yaml"})
    assert load_manifest(overlay.parent).job_dir == tmp_path / "envs" / "test"


def test_extends_may_name_a_directory(write: WriteFile) -> None:
    write("base/job.yaml", BASE)
    overlay = write("test.yaml", {"extends": "base", "replicas": 3})
    assert load_manifest(overlay).manifest.replicas == 3


def test_absolute_extends_path_is_rejected(write: WriteFile, tmp_path: Path) -> None:
    base = write("job.yaml", BASE)
    overlay = write("test.yaml", {"extends": str(base)})
    assert "extends: '" in load_error(overlay)
    assert "extends path should be relative" in load_error(overlay)


@pytest.mark.parametrize("extends", [1, [], " "])
def test_extends_must_be_a_path(write: WriteFile, extends: object) -> None:
    overlay = write("test.yaml", {"extends": extends})
    assert "extends: expected a relative path of the base manifest" in load_error(overlay)


def test_missing_base_is_reported_with_its_path(write: WriteFile, tmp_path: Path) -> None:
    overlay = write("test.yaml", {"extends": "missing.yaml"})
    message = load_error(overlay)
    assert message.startswith(f"invalid manifest {overlay}: extends: base manifest")
    assert f"local manifest file '{tmp_path / 'missing.yaml'}' doesn't exist" in message


def test_base_must_not_extend_another_manifest(write: WriteFile) -> None:
    write("root.yaml", BASE)
    write("job.yaml", {**BASE, "extends": "root.yaml"})
    overlay = write("test.yaml", {"extends": "job.yaml"})
    assert "extends another manifest; only one level is allowed" in load_error(overlay)


def test_base_yaml_error_names_the_base_file(write: WriteFile) -> None:
    base = write("job.yaml", "name: [\n")
    overlay = write("test.yaml", {"extends": "job.yaml"})
    message = load_error(overlay)
    assert f"extends: base manifest '{base}': YAML syntax error at line 2" in message


def test_null_extends_is_ignored(write: WriteFile) -> None:
    path = write("job.yaml", {**BASE, "extends": None})
    assert load_manifest(path).manifest.extends is None


def test_overlay_may_use_current_names_over_a_legacy_base(write: WriteFile) -> None:
    base = {key: value for key, value in BASE.items() if key != "jobtype"}
    write("job.yaml", {**base, "lang": "python3:2.4.0", "python": {"entrypoint_path": "a.py", "x": 1}})
    overlay = write(
        "test.yaml",
        {"extends": "job.yaml", "jobtype": "python3:2.5.0", "jobtype_extra": {"entrypoint_path": "b.py"}},
    )
    loaded = load_manifest(overlay)
    assert loaded.manifest.jobtype == "python3:2.5.0"
    assert loaded.manifest.jobtype_extra == {"entrypoint_path": "b.py", "x": 1}
    assert "`lang:` is deprecated. Use `jobtype:` instead." in loaded.warnings


def test_extra_vars_apply_after_the_overlay(write: WriteFile) -> None:
    write("job.yaml", BASE)
    overlay = write("test.yaml", {"extends": "job.yaml", "replicas": 1})
    assert load_manifest(overlay, ["replicas=5"]).manifest.replicas == 5


def test_deep_merge_does_not_modify_its_inputs() -> None:
    base = {"a": {"b": 1, "c": [1]}, "d": 1}
    overlay = {"a": {"b": 2}, "e": 3}
    assert deep_merge(base, overlay) == {"a": {"b": 2, "c": [1]}, "d": 1, "e": 3}
    assert base == {"a": {"b": 1, "c": [1]}, "d": 1}


def test_merge_overlay_clears_extends() -> None:
    assert merge_overlay({"name": "a"}, {"extends": "x.yaml", "name": "b"}) == {"name": "b"}
