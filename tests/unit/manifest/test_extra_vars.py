"""``-e KEY=VALUE`` overrides."""

from __future__ import annotations

from typing import Any

import pytest

from racetrack.manifest import ManifestError, apply_extra_vars


def test_values_are_parsed_as_yaml() -> None:
    data = apply_extra_vars({}, ["replicas=7", "flag=true", "text=hello", "ratio=0.5", "items=[1, 2]"])
    assert data == {"replicas": 7, "flag": True, "text": "hello", "ratio": 0.5, "items": [1, 2]}


def test_json_mapping_replaces_the_whole_sub_object() -> None:
    data = {"git": {"remote": "https://a", "branch": "main"}}
    result = apply_extra_vars(data, ['git={"remote": "https://x"}'])
    assert result == {"git": {"remote": "https://x"}}


def test_empty_value_is_null() -> None:
    assert apply_extra_vars({"labels": {"a": "b"}}, ["labels="]) == {"labels": None}


def test_only_the_first_equals_sign_splits() -> None:
    result = apply_extra_vars({}, ["build_env.PIP_OPTS=--config-settings=x=1"])
    assert result == {"build_env": {"PIP_OPTS": "--config-settings=x=1"}}


def test_dotted_key_sets_a_nested_value() -> None:
    data = {"git": {"remote": "https://a", "branch": "main"}}
    assert apply_extra_vars(data, ["git.branch=feature-x"]) == {
        "git": {"remote": "https://a", "branch": "feature-x"}
    }


def test_missing_intermediate_mappings_are_created() -> None:
    assert apply_extra_vars({}, ["resources.memory_max=2Gi"]) == {"resources": {"memory_max": "2Gi"}}


def test_intermediate_that_is_not_a_mapping_is_an_error() -> None:
    with pytest.raises(ManifestError) as info:
        apply_extra_vars({"git": "https://x"}, ["git.branch=main"])
    assert str(info.value) == "extra var 'git.branch': 'git' is not a mapping, cannot set a key inside it"


def test_vars_apply_in_order_and_the_input_is_untouched() -> None:
    data: dict[str, Any] = {"labels": {"a": "1"}}
    result = apply_extra_vars(data, ["labels.b=2", "labels.a=3", "labels.b=4"])
    assert result == {"labels": {"a": 3, "b": 4}}
    assert data == {"labels": {"a": "1"}}


def test_missing_equals_sign_cannot_unpack() -> None:
    with pytest.raises(ManifestError, match="cannot unpack key-value from 'replicas'"):
        apply_extra_vars({}, ["replicas"])


@pytest.mark.parametrize("extra_var", ["=3", " =3"])
def test_empty_key_is_an_error(extra_var: str) -> None:
    with pytest.raises(ManifestError, match="empty key"):
        apply_extra_vars({}, [extra_var])


@pytest.mark.parametrize("extra_var", ["git..branch=x", ".a=1", "a.=1"])
def test_empty_part_of_a_dotted_key_is_an_error(extra_var: str) -> None:
    with pytest.raises(ManifestError, match="empty part in the dotted key"):
        apply_extra_vars({}, [extra_var])


def test_invalid_yaml_value_is_an_error_naming_the_key() -> None:
    with pytest.raises(ManifestError) as info:
        apply_extra_vars({}, ["labels={unclosed"])
    assert str(info.value).startswith("extra var 'labels': value is not valid YAML")


def test_colon_in_a_value_stays_a_string() -> None:
    assert apply_extra_vars({}, ["jobtype=python3:2.4.0"]) == {"jobtype": "python3:2.4.0"}
