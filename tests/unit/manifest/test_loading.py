from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from racetrack.manifest import ManifestError, load_manifest, parse_manifest_yaml

from .conftest import WriteFile


def load_error(path: Path, extra_vars: tuple[str, ...] = ()) -> str:
    with pytest.raises(ManifestError) as info:
        load_manifest(path, extra_vars)
    return str(info.value)


def test_directory_path_reads_job_yaml(write: WriteFile, minimal: dict[str, Any], tmp_path: Path) -> None:
    write("job.yaml", minimal)
    loaded = load_manifest(tmp_path)
    assert loaded.manifest.name == "text-stats"
    assert loaded.manifest_path == tmp_path / "job.yaml"
    assert loaded.job_dir == tmp_path
    assert loaded.warnings == []


def test_file_path_is_read_directly(write: WriteFile, minimal: dict[str, Any], tmp_path: Path) -> None:
    path = write("envs/prod.yaml", minimal)
    loaded = load_manifest(str(path))
    assert loaded.manifest_path == path
    assert loaded.job_dir == tmp_path / "envs"


def test_directory_falls_back_to_fatman_yaml_with_a_warning(
    write: WriteFile, minimal: dict[str, Any], tmp_path: Path
) -> None:
    write("fatman.yaml", minimal)
    loaded = load_manifest(tmp_path)
    assert loaded.manifest_path == tmp_path / "fatman.yaml"
    assert loaded.warnings == ["`fatman.yaml` is a deprecated manifest file name. Rename it to `job.yaml`."]


def test_job_yaml_wins_over_fatman_yaml(write: WriteFile, minimal: dict[str, Any], tmp_path: Path) -> None:
    write("job.yaml", minimal)
    write("fatman.yaml", {**minimal, "name": "old"})
    assert load_manifest(tmp_path).manifest.name == "text-stats"


def test_explicit_fatman_yaml_is_accepted_with_a_warning(write: WriteFile, minimal: dict[str, Any]) -> None:
    loaded = load_manifest(write("fatman.yaml", minimal))
    assert "deprecated manifest file name" in loaded.warnings[0]


def test_missing_manifest_names_the_expected_file(tmp_path: Path) -> None:
    assert load_error(tmp_path) == f"local manifest file '{tmp_path / 'job.yaml'}' doesn't exist"
    assert (
        load_error(tmp_path / "nope.yaml") == f"local manifest file '{tmp_path / 'nope.yaml'}' doesn't exist"
    )


def test_errors_name_the_manifest_file(write: WriteFile, minimal: dict[str, Any]) -> None:
    path = write("job.yaml", {**minimal, "git": {"remote": "ssh://x"}})
    assert load_error(path) == (
        f"invalid manifest {path}: "
        "git.remote: 'ssh://x' must start with https:// (SSH remotes are not supported)"
    )


def test_several_problems_are_joined_with_semicolons(write: WriteFile, minimal: dict[str, Any]) -> None:
    path = write("job.yaml", {**minimal, "nmae": "x", "replicas": 0})
    message = load_error(path)
    assert message == (
        f"invalid manifest {path}: unknown field 'nmae' (did you mean 'name'?); "
        "replicas: must be at least 1, got integer 0"
    )


def test_yaml_syntax_error_names_line_and_column(write: WriteFile) -> None:
    path = write("job.yaml", "name: x\nowner_email: a@b\ngit:\n  remote: [unclosed\njobtype: python3:1.0.0\n")
    message = load_error(path)
    assert message.startswith(f"invalid manifest {path}: YAML syntax error at line ")
    assert "column" in message
    assert "\n" not in message


def test_yaml_bad_indentation_names_its_line(write: WriteFile) -> None:
    path = write("job.yaml", "name: x\n  owner_email: a@b\n")
    assert "YAML syntax error at line 2, column 14: mapping values are not allowed here" in load_error(path)


def test_duplicate_keys_are_rejected_with_their_line(write: WriteFile, minimal: dict[str, Any]) -> None:
    text = yaml.safe_dump(minimal, sort_keys=False) + "name: again\n"
    message = load_error(write("job.yaml", text))
    assert "YAML error at line 6, column 1: duplicate key 'name'" in message


def test_yaml_merge_keys_are_not_duplicates(write: WriteFile, minimal: dict[str, Any]) -> None:
    text = yaml.safe_dump(minimal) + "build_env: &env\n  MODE: prod\nruntime_env:\n  <<: *env\n  MODE: dev\n"
    loaded = load_manifest(write("job.yaml", text))
    assert loaded.manifest.runtime_env == {"MODE": "dev"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the manifest is empty; expected a mapping of fields"),
        ("# only a comment\n", "the manifest is empty"),
        ("- name: x\n", "the root must be a mapping of fields (name: ..., owner_email: ...), got a list"),
        (
            "just text\n",
            "the root must be a mapping of fields (name: ..., owner_email: ...), got string 'just text'",
        ),
        ("1: x\n", "field names must be strings, got integer 1"),
    ],
)
def test_root_must_be_a_mapping(write: WriteFile, text: str, expected: str) -> None:
    assert expected in load_error(write("job.yaml", text))


def test_unsafe_yaml_tags_are_refused(write: WriteFile) -> None:
    message = load_error(write("job.yaml", "name: !!python/object/apply:os.system ['true']\n"))
    assert "YAML error at line 1, column 7: could not determine a constructor" in message


def test_origin_yaml_is_the_file_text_when_nothing_was_merged(
    write: WriteFile, minimal: dict[str, Any]
) -> None:
    text = "# my job\n" + yaml.safe_dump(minimal, sort_keys=False)
    assert load_manifest(write("job.yaml", text)).origin_yaml == text


def test_deprecated_fields_produce_warnings(write: WriteFile, minimal: dict[str, Any]) -> None:
    minimal["lang"] = minimal.pop("jobtype")
    loaded = load_manifest(write("job.yaml", {**minimal, "python": {"entrypoint_path": "a.py"}}))
    assert loaded.warnings == [
        "`lang:` is deprecated. Use `jobtype:` instead.",
        "`python:` is deprecated. Use `jobtype_extra:` instead.",
    ]
    assert loaded.manifest.jobtype_extra == {"entrypoint_path": "a.py"}


def test_extra_vars_are_applied_before_validation(write: WriteFile, minimal: dict[str, Any]) -> None:
    path = write("job.yaml", {**minimal, "replicas": 99})
    loaded = load_manifest(path, ["replicas=3", "git.branch=feature-x"])
    assert loaded.manifest.replicas == 3
    assert loaded.manifest.git.branch == "feature-x"
    assert yaml.safe_load(loaded.origin_yaml)["replicas"] == 3
    assert yaml.safe_load(path.read_text())["replicas"] == 99


def test_extra_var_errors_name_the_manifest(write: WriteFile, minimal: dict[str, Any]) -> None:
    path = write("job.yaml", minimal)
    assert load_error(path, ("replicas",)) == (
        f"invalid manifest {path}: extra var: cannot unpack key-value from 'replicas': expected KEY=VALUE"
    )


def test_extra_vars_are_validated_like_the_file(write: WriteFile, minimal: dict[str, Any]) -> None:
    path = write("job.yaml", minimal)
    assert "replicas: must be at most 50, got integer 51" in load_error(path, ("replicas=51",))


def test_parse_manifest_yaml_validates_text(minimal: dict[str, Any]) -> None:
    assert parse_manifest_yaml(yaml.safe_dump(minimal)).name == "text-stats"


def test_parse_manifest_yaml_names_the_syntax_error_line() -> None:
    with pytest.raises(ManifestError) as info:
        parse_manifest_yaml("name: x\nowner_email: [\n")
    assert str(info.value).startswith("invalid manifest: YAML syntax error at line 3")


def test_parse_manifest_rejects_a_non_mapping() -> None:
    from racetrack.manifest import parse_manifest

    with pytest.raises(ManifestError, match="invalid manifest: the root must be a mapping of fields"):
        parse_manifest(["name"])  # type: ignore[arg-type]


def test_unreadable_file_is_reported(write: WriteFile) -> None:
    path = write("job.yaml", "")
    path.write_bytes(b"name: \xff\xfe\n")
    assert "cannot read" in load_error(path)
