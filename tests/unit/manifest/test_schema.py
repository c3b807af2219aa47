from __future__ import annotations

import json
import re

import pytest

from racetrack.manifest import Manifest, ManifestError, manifest_json_schema, parse_manifest
from racetrack.manifest.quantity import PATTERN as QUANTITY_PATTERN
from racetrack.manifest.quantity import Quantity


def test_schema_is_json_serialisable_and_names_its_dialect() -> None:
    schema = manifest_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "Racetrack job manifest"
    json.dumps(schema)


def test_schema_lists_every_field_and_the_deprecated_names() -> None:
    properties = manifest_json_schema()["properties"]
    assert set(Manifest.model_fields) | {"lang", "python", "golang", "wrapper_properties"} == set(properties)
    assert properties["lang"]["deprecated"] is True
    assert properties["python"]["description"] == "deprecated name of `jobtype_extra`"


def test_schema_is_closed_and_requires_the_mandatory_fields() -> None:
    schema = manifest_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "owner_email", "git"}
    assert {"oneOf": [{"required": ["jobtype"]}, {"required": ["lang"]}]} in schema["allOf"]
    assert schema["$defs"]["GitSpec"]["additionalProperties"] is False
    assert schema["$defs"]["Resources"]["additionalProperties"] is False


def test_schema_forbids_two_names_of_jobtype_extra() -> None:
    rule = manifest_json_schema()["allOf"][1]["not"]["anyOf"]
    assert {"required": ["jobtype_extra", "python"]} in rule
    assert len(rule) == 6


def test_schema_carries_the_field_patterns_and_bounds() -> None:
    schema = manifest_json_schema()
    properties = schema["properties"]
    assert properties["replicas"]["minimum"] == 1
    assert properties["replicas"]["maximum"] == 50
    assert properties["git"]["$ref"] == "#/$defs/GitSpec"
    assert schema["$defs"]["GitSpec"]["properties"]["remote"]["pattern"] == "^https://"
    assert properties["jobtype"]["pattern"] == "^[^:]+:[^:]+$"
    assert properties["owner_email"]["pattern"] == "^.+@.+$"
    for name in ("name", "version"):
        assert "pattern" in properties[name]


def test_schema_is_a_fresh_copy() -> None:
    manifest_json_schema()["properties"].clear()
    assert manifest_json_schema()["properties"]


@pytest.mark.parametrize("version", ["0.0.1", "1.0.0-dev", "1.4.0-rc.1+b.2", "1.0", "01.0.0", "1.0.0-"])
def test_version_pattern_agrees_with_the_validator(version: str) -> None:
    pattern = manifest_json_schema()["properties"]["version"]["pattern"]
    base = {"name": "a", "owner_email": "a@b", "jobtype": "x:1", "git": {"remote": "https://x"}}
    try:
        parse_manifest({**base, "version": version})
        valid = True
    except ManifestError:
        valid = False
    assert bool(re.match(pattern, version)) is valid


@pytest.mark.parametrize("text", ["1", "1.5", "256Mi", "10m", "12XB", "1.", "1gi", "Mi"])
def test_quantity_pattern_agrees_with_the_parser(text: str) -> None:
    try:
        Quantity.parse(text)
        valid = True
    except ManifestError:
        valid = False
    assert bool(re.match(QUANTITY_PATTERN, text)) is valid
