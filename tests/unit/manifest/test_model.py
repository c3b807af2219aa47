from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from racetrack.manifest import GitSpec, Manifest, ManifestError, Quantity, Resources, parse_manifest


def invalid(data: dict[str, Any]) -> str:
    with pytest.raises(ManifestError) as info:
        parse_manifest(data)
    return str(info.value)


def test_minimal_manifest_gets_the_documented_defaults(minimal: dict[str, Any]) -> None:
    manifest = parse_manifest(minimal)
    assert manifest.version == "0.0.1"
    assert manifest.image_type == "docker"
    assert manifest.replicas == 1
    assert manifest.git == GitSpec(remote=minimal["git"]["remote"], branch=None, directory=".")
    assert manifest.extends is None
    assert manifest.jobtype_extra is None
    assert manifest.resources is None


FULL_EXAMPLE = """
name: churn-model
version: 1.4.0-rc.1
owner_email: ml-team@example.org
jobtype: python3:2.*.*
git:
  remote: https://git.example.org/ml/churn
  branch: release
  directory: services/churn
jobtype_extra:
  requirements_path: requirements.txt
  entrypoint_path: churn/job.py
  entrypoint_class: ChurnJob
system_dependencies: [libgomp1]
build_env:
  PIP_INDEX_URL: https://pypi.example.org/simple
secret_build_env_file: .secrets/build.env
runtime_env:
  MODEL_DIR: /src/job/models
secret_runtime_env_file: .secrets/runtime.env
labels:
  team: retention
  model: gradient-boosting
public_endpoints:
  - /api/v1/webview
replicas: 2
resources:
  memory_min: 512Mi
  memory_max: 2Gi
  cpu_min: 100m
  cpu_max: 2000m
infrastructure_target: kubernetes
docker:
  dockerfile_path: build/Dockerfile
"""


def test_full_featured_spec_example_is_valid() -> None:
    manifest = parse_manifest(yaml.safe_load(FULL_EXAMPLE))
    assert manifest.jobtype_name == "python3"
    assert manifest.jobtype_version == "2.*.*"
    assert manifest.git.directory == "services/churn"
    assert manifest.resources == Resources(
        memory_min=Quantity("512Mi"),
        memory_max=Quantity("2Gi"),
        cpu_min=Quantity("100m"),
        cpu_max=Quantity("2"),
    )
    assert manifest.replicas == 2
    assert manifest.labels == {"team": "retention", "model": "gradient-boosting"}
    assert manifest.docker is not None and manifest.docker.dockerfile_path == "build/Dockerfile"


def test_to_dict_drops_null_fields_and_keeps_quantity_text() -> None:
    data = parse_manifest(yaml.safe_load(FULL_EXAMPLE)).to_dict()
    assert data["resources"] == {
        "memory_min": "512Mi",
        "memory_max": "2Gi",
        "cpu_min": "100m",
        "cpu_max": "2000m",
    }
    minimal = parse_manifest({**yaml.safe_load(FULL_EXAMPLE), "labels": None}).to_dict()
    assert "labels" not in minimal
    assert "extends" not in minimal


def test_to_dict_keeps_nulls_inside_free_form_mappings(minimal: dict[str, Any]) -> None:
    data = parse_manifest({**minimal, "jobtype_extra": {"gomod": None}}).to_dict()
    assert data["jobtype_extra"] == {"gomod": None}


def test_to_yaml_reads_back_as_the_same_manifest() -> None:
    manifest = parse_manifest(yaml.safe_load(FULL_EXAMPLE))
    text = manifest.to_yaml()
    assert text.startswith("name: churn-model\n")
    assert parse_manifest(yaml.safe_load(text)) == manifest


def test_manifest_is_frozen(minimal: dict[str, Any]) -> None:
    manifest = parse_manifest(minimal)
    with pytest.raises(ValidationError):
        manifest.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("adder", "0.0.1", "job-adder-v-0-0-1"),
        ("churn-model", "1.4.0-rc.1", "job-churn-model-v-1-4-0-rc-1"),
        ("x1", "1.0.0+build.7", "job-x1-v-1-0-0-build-7"),
        ("x", "1.0.0-RC1", "job-x-v-1-0-0-rc1"),
    ],
)
def test_resource_name_is_a_dns_label(
    minimal: dict[str, Any], name: str, version: str, expected: str
) -> None:
    assert parse_manifest({**minimal, "name": name, "version": version}).resource_name == expected


@pytest.mark.parametrize("name", ["a", "text-stats", "job2", "a-b-c", "a--b", "a" * 40])
def test_name_accepts_dns_label_safe_names(minimal: dict[str, Any], name: str) -> None:
    assert parse_manifest({**minimal, "name": name}).name == name


@pytest.mark.parametrize("name", ["Text", "text_stats", "2job", "-job", "job-", "job.x", "", "a b", "a" * 41])
def test_name_rejects_names_unsafe_in_dns_labels(minimal: dict[str, Any], name: str) -> None:
    assert "name: " in invalid({**minimal, "name": name})


def test_name_limit_is_40_characters(minimal: dict[str, Any]) -> None:
    assert "is 41 characters long, the limit is 40" in invalid({**minimal, "name": "a" * 41})


def test_name_and_version_together_must_fit_a_dns_label(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "name": "a" * 40, "version": "1.0.0-alpha.beta.gamma"})
    assert "name and version are too long together" in message
    assert "the limit is 63" in message


@pytest.mark.parametrize("email", ["jane", "@", "jane@", "@example.org", ""])
def test_owner_email_must_look_like_an_address(minimal: dict[str, Any], email: str) -> None:
    assert "owner_email: " in invalid({**minimal, "owner_email": email})


def test_owner_email_is_required(minimal: dict[str, Any]) -> None:
    del minimal["owner_email"]
    assert "missing required field 'owner_email' (the job owner's e-mail address)" in invalid(minimal)


@pytest.mark.parametrize("jobtype", ["python3:2.4.0", "python3:latest", "mllab:1.3.*-3.9-bullseye", "x:*"])
def test_jobtype_accepts_name_colon_version(minimal: dict[str, Any], jobtype: str) -> None:
    manifest = parse_manifest({**minimal, "jobtype": jobtype})
    assert f"{manifest.jobtype_name}:{manifest.jobtype_version}" == jobtype


@pytest.mark.parametrize("jobtype", ["python3", "python3:", ":2.4.0", "a:b:c", ""])
def test_jobtype_needs_exactly_one_colon(minimal: dict[str, Any], jobtype: str) -> None:
    message = invalid({**minimal, "jobtype": jobtype})
    assert "jobtype: " in message
    assert "name:version" in message


def test_jobtype_is_required(minimal: dict[str, Any]) -> None:
    del minimal["jobtype"]
    assert "missing required field 'jobtype'" in invalid(minimal)


def test_deprecated_lang_is_mapped_to_jobtype(minimal: dict[str, Any]) -> None:
    minimal["lang"] = minimal.pop("jobtype")
    manifest = parse_manifest(minimal)
    assert manifest.jobtype == "python3:2.4.0"
    assert "lang" not in manifest.to_dict()


def test_jobtype_and_lang_together_are_rejected(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "lang": "python3:2.4.0"})
    assert "'jobtype' and 'lang' are names of one field; keep only 'jobtype'" in message


def test_null_lang_next_to_jobtype_is_ignored(minimal: dict[str, Any]) -> None:
    assert parse_manifest({**minimal, "lang": None}).jobtype == "python3:2.4.0"


@pytest.mark.parametrize("old", ["python", "golang", "wrapper_properties"])
def test_deprecated_extra_fields_are_mapped_to_jobtype_extra(minimal: dict[str, Any], old: str) -> None:
    manifest = parse_manifest({**minimal, old: {"entrypoint_path": "job.py"}})
    assert manifest.jobtype_extra == {"entrypoint_path": "job.py"}
    assert manifest.to_dict()["jobtype_extra"] == {"entrypoint_path": "job.py"}
    assert old not in manifest.to_dict()


@pytest.mark.parametrize(
    "keys", [("jobtype_extra", "python"), ("python", "golang"), ("golang", "wrapper_properties")]
)
def test_at_most_one_of_the_jobtype_extra_family_is_allowed(
    minimal: dict[str, Any], keys: tuple[str, str]
) -> None:
    message = invalid({**minimal, keys[0]: {"a": 1}, keys[1]: {"b": 2}})
    assert "keep only 'jobtype_extra'" in message
    assert all(f"'{key}'" in message for key in keys)


def test_git_is_required_and_must_be_a_mapping(minimal: dict[str, Any]) -> None:
    assert "git: expected a mapping, got string 'https://x'" in invalid({**minimal, "git": "https://x"})
    del minimal["git"]
    assert "missing required field 'git'" in invalid(minimal)


@pytest.mark.parametrize("remote", ["ssh://git@example.org/x", "git@example.org:team/x.git"])
def test_git_remote_refuses_ssh(minimal: dict[str, Any], remote: str) -> None:
    message = invalid({**minimal, "git": {"remote": remote}})
    assert f"git.remote: '{remote}' must start with https:// (SSH remotes are not supported)" in message


@pytest.mark.parametrize("remote", ["http://example.org/x", "example.org/x", "https://"])
def test_git_remote_must_be_https(minimal: dict[str, Any], remote: str) -> None:
    assert "git.remote: " in invalid({**minimal, "git": {"remote": remote}})


@pytest.mark.parametrize("directory", ["/abs", "..", "../sibling", "a/../../b"])
def test_git_directory_must_stay_inside_the_repository(minimal: dict[str, Any], directory: str) -> None:
    message = invalid({**minimal, "git": {**minimal["git"], "directory": directory}})
    assert "git.directory: " in message
    assert "relative path inside the repository" in message


def test_git_directory_may_be_nested(minimal: dict[str, Any]) -> None:
    git = {**minimal["git"], "directory": "services/./churn", "branch": "dev"}
    assert parse_manifest({**minimal, "git": git}).git.directory == "services/./churn"


def test_git_branch_must_not_be_empty(minimal: dict[str, Any]) -> None:
    assert "git.branch: must not be empty" in invalid({**minimal, "git": {**minimal["git"], "branch": ""}})


@pytest.mark.parametrize("version", ["0.1.2", "1.0.0-dev", "1.4.0-rc.1", "2.0.0+build.5", "10.20.30"])
def test_version_accepts_semver(minimal: dict[str, Any], version: str) -> None:
    assert parse_manifest({**minimal, "version": version}).version == version


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0.0", "01.0.0", "latest", " 1.0.0"])
def test_version_rejects_non_semver(minimal: dict[str, Any], version: str) -> None:
    assert "version: " in invalid({**minimal, "version": version})


def test_version_error_uses_the_semver_message(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "version": "1.2"})
    assert "version: Version '1.2' doesn't match SemVer format 'X.Y.Z[-label]'" in message


def test_version_given_as_a_yaml_number_asks_for_quotes(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "version": 1.0})
    assert "version: expected a string, got float 1.0; quote the value in YAML" in message


@pytest.mark.parametrize("replicas", [1, 2, 50])
def test_replicas_accepts_1_to_50(minimal: dict[str, Any], replicas: int) -> None:
    assert parse_manifest({**minimal, "replicas": replicas}).replicas == replicas


def test_replicas_below_one_is_rejected(minimal: dict[str, Any]) -> None:
    assert "replicas: must be at least 1, got integer 0" in invalid({**minimal, "replicas": 0})


def test_replicas_above_fifty_is_rejected(minimal: dict[str, Any]) -> None:
    assert "replicas: must be at most 50, got integer 51" in invalid({**minimal, "replicas": 51})


@pytest.mark.parametrize(
    ("value", "described"), [("3", "string '3'"), (True, "boolean true"), (2.5, "float 2.5")]
)
def test_replicas_must_be_an_integer(minimal: dict[str, Any], value: object, described: str) -> None:
    assert f"replicas: expected an integer, got {described}" in invalid({**minimal, "replicas": value})


def test_env_values_must_be_strings_naming_the_key(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "runtime_env": {"DEBUG": 1}, "build_env": {"CI": True}})
    assert "runtime_env.DEBUG: expected a string, got integer 1; quote the value in YAML" in message
    assert "build_env.CI: expected a string, got boolean true; quote the value in YAML" in message


def test_env_null_value_is_rejected(minimal: dict[str, Any]) -> None:
    assert "runtime_env.EMPTY: expected a string, got null" in invalid(
        {**minimal, "runtime_env": {"EMPTY": None}}
    )


@pytest.mark.parametrize("key", ["MY-VAR", "1ST", "A B", ""])
def test_env_names_must_be_valid_variable_names(minimal: dict[str, Any], key: str) -> None:
    message = invalid({**minimal, "build_env": {key: "x"}})
    assert "build_env" in message
    assert "not a valid environment variable name" in message


def test_env_accepts_string_values(minimal: dict[str, Any]) -> None:
    manifest = parse_manifest({**minimal, "runtime_env": {"DEBUG": "1", "_x": ""}})
    assert manifest.runtime_env == {"DEBUG": "1", "_x": ""}


def test_public_endpoints_must_start_with_a_slash(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "public_endpoints": ["/ok", "api/v1/webview"]})
    assert "public_endpoints[1]: 'api/v1/webview' must start with '/'" in message
    assert "public_endpoints[0]" not in message


def test_public_endpoints_must_be_a_list(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "public_endpoints": "/api"})
    assert "public_endpoints: expected a list, got string '/api'" in message


def test_system_dependencies_are_package_names(minimal: dict[str, Any]) -> None:
    manifest = parse_manifest({**minimal, "system_dependencies": ["libgomp1", "curl=7.88.1-10", "g++"]})
    assert manifest.system_dependencies == ["libgomp1", "curl=7.88.1-10", "g++"]
    message = invalid({**minimal, "system_dependencies": ["curl; rm -rf /"]})
    assert "system_dependencies[0]: 'curl; rm -rf /' is not a package name" in message


def test_image_type_only_docker_is_supported(minimal: dict[str, Any]) -> None:
    assert parse_manifest({**minimal, "image_type": "docker"}).image_type == "docker"
    assert "image_type: 'oci' is not supported" in invalid({**minimal, "image_type": "oci"})


def test_labels_accept_any_values(minimal: dict[str, Any]) -> None:
    labels = {"team": "ml", "tier": 1, "public": False}
    assert parse_manifest({**minimal, "labels": labels}).labels == labels


def test_labels_keys_must_be_strings(minimal: dict[str, Any]) -> None:
    assert "labels: key 1 must be a string; quote it in YAML" in invalid({**minimal, "labels": {1: "x"}})


def test_jobtype_extra_must_be_a_mapping(minimal: dict[str, Any]) -> None:
    assert "jobtype_extra: expected a mapping, got a list" in invalid({**minimal, "jobtype_extra": [1]})


def test_docker_rejects_unknown_keys(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "docker": {"dockerfile": "Dockerfile"}})
    assert "unknown field 'docker.dockerfile' (did you mean 'docker.dockerfile_path'?)" in message


def test_resources_parse_quantities_and_numbers(minimal: dict[str, Any]) -> None:
    manifest = parse_manifest({**minimal, "resources": {"memory_max": "1Gi", "cpu_max": 2}})
    assert manifest.resources is not None
    assert manifest.resources.memory_max == Quantity("1Gi")
    assert manifest.resources.cpu_max == Quantity("2")
    assert manifest.to_dict()["resources"] == {"memory_max": "1Gi", "cpu_max": "2"}


def test_resources_reject_invalid_quantities_naming_the_field(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "resources": {"memory_max": "12XB"}})
    assert (
        "resources.memory_max: invalid quantity '12XB': expected a number with one of the suffixes" in message
    )


def test_resources_reject_unknown_keys(minimal: dict[str, Any]) -> None:
    message = invalid({**minimal, "resources": {"memory": "1Gi"}})
    assert "unknown field 'resources.memory'" in message


@pytest.mark.parametrize(
    "field", ["secret_build_env_file", "secret_runtime_env_file", "infrastructure_target", "extends"]
)
def test_optional_strings_must_not_be_empty(minimal: dict[str, Any], field: str) -> None:
    assert f"{field}: must not be empty" in invalid({**minimal, field: " "})


def test_manifest_model_validate_accepts_deprecated_names_too(minimal: dict[str, Any]) -> None:
    minimal["lang"] = minimal.pop("jobtype")
    assert Manifest.model_validate(minimal).jobtype == "python3:2.4.0"
