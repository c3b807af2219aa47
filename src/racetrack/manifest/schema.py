"""JSON schema of ``job.yaml`` (for editors and the docs), generated from the model.

It describes the file as users write it, so the deprecated names are included, marked
``deprecated``, with the rule that a field is given under one name only. Runtime checks that
a JSON schema cannot express (resource name length, overlay rules) live in the model only.
"""

from __future__ import annotations

import copy
from functools import cache
from itertools import combinations
from typing import Any

from racetrack.manifest import legacy
from racetrack.manifest.model import Manifest

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@cache
def _schema() -> dict[str, Any]:
    schema = Manifest.model_json_schema(mode="validation")
    properties: dict[str, Any] = schema["properties"]
    for old, new in legacy.DEPRECATED.items():
        replacement = copy.deepcopy(properties[new])
        replacement.pop("default", None)
        replacement["title"] = old.replace("_", " ").title()
        replacement["description"] = f"deprecated name of `{new}`"
        replacement["deprecated"] = True
        properties[old] = replacement
    schema["required"] = [name for name in schema["required"] if name != "jobtype"]
    rules: list[dict[str, Any]] = [{"oneOf": [{"required": ["jobtype"]}, {"required": ["lang"]}]}]
    family = ["jobtype_extra", *legacy.ALIASES["jobtype_extra"]]
    rules.append({"not": {"anyOf": [{"required": list(pair)} for pair in combinations(family, 2)]}})
    schema["allOf"] = rules
    return {"$schema": SCHEMA_DIALECT, **schema}


def manifest_json_schema() -> dict[str, Any]:
    """The JSON schema of a manifest file (a fresh copy, safe to modify)."""
    return copy.deepcopy(_schema())
