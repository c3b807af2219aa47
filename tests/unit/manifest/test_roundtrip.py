"""Property tests: serialising a valid manifest and parsing it back gives the same manifest,
and no input whatsoever escapes as anything but ManifestError."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from racetrack.manifest import Manifest, ManifestError, Quantity, parse_manifest, parse_manifest_yaml
from racetrack.manifest.quantity import SUFFIXES

text = st.text(st.characters(codec="utf-8"), max_size=20)
json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
names = st.from_regex(r"[a-z]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True)
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
numbers = st.integers(min_value=0, max_value=999).map(str)
semver = st.builds(
    lambda major, minor, patch, pre: f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else ""),
    numbers,
    numbers,
    numbers,
    st.none() | st.from_regex(r"[a-z][a-z0-9]{0,5}(\.[1-9][0-9]{0,2})?", fullmatch=True),
)
quantities = st.builds(
    lambda number, fraction, suffix: Quantity(f"{number}{fraction}{suffix}"),
    numbers,
    st.sampled_from(["", ".5", ".25"]),
    st.sampled_from(list(SUFFIXES)),
)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def manifests(draw: st.DrawFn) -> Manifest:
    data: dict[str, Any] = {
        "name": draw(names),
        "owner_email": draw(st.from_regex(r"[a-z.]{1,8}@[a-z]{1,8}\.org", fullmatch=True)),
        "jobtype": f"{draw(names)}:{draw(st.sampled_from(['latest', '2.*.*', '1.0.0']))}",
        "git": {
            "remote": f"https://git.example.org/{draw(names)}",
            "branch": draw(optional(names)),
            "directory": draw(st.sampled_from([".", "src", "services/churn"])),
        },
        "version": draw(semver),
        "jobtype_extra": draw(optional(st.dictionaries(text, json_values, max_size=3))),
        "docker": draw(optional(st.builds(lambda p: {"dockerfile_path": p}, optional(names)))),
        "system_dependencies": draw(optional(st.lists(names, max_size=3))),
        "build_env": draw(optional(st.dictionaries(identifiers, text, max_size=3))),
        "runtime_env": draw(optional(st.dictionaries(identifiers, text, max_size=3))),
        "secret_build_env_file": draw(optional(st.just(".secrets/build.env"))),
        "secret_runtime_env_file": draw(optional(st.just(".secrets/runtime.env"))),
        "labels": draw(optional(st.dictionaries(text, json_scalars, max_size=3))),
        "public_endpoints": draw(optional(st.lists(names.map(lambda n: f"/api/{n}"), max_size=3))),
        "replicas": draw(st.integers(min_value=1, max_value=50)),
        "resources": draw(
            optional(
                st.fixed_dictionaries(
                    {},
                    optional={key: quantities for key in ("memory_min", "memory_max", "cpu_min", "cpu_max")},
                )
            )
        ),
        "infrastructure_target": draw(optional(st.sampled_from(["local", "docker", "kubernetes"]))),
    }
    return Manifest.model_validate(data)


@settings(max_examples=100)
@given(manifests())
def test_to_dict_then_parse_gives_the_same_manifest(manifest: Manifest) -> None:
    assert parse_manifest(manifest.to_dict()) == manifest


@settings(max_examples=100)
@given(manifests())
def test_to_yaml_then_parse_gives_the_same_manifest(manifest: Manifest) -> None:
    assert parse_manifest_yaml(manifest.to_yaml()) == manifest


@given(manifests())
def test_to_dict_has_no_nulls_at_field_level(manifest: Manifest) -> None:
    data = manifest.to_dict()
    assert None not in data.values()
    assert None not in data["git"].values()


@given(quantities)
def test_quantity_text_round_trips(quantity: Quantity) -> None:
    assert Quantity.parse(str(quantity)) == quantity
    assert str(Quantity.parse(str(quantity))) == str(quantity)


fields = st.sampled_from([*Manifest.model_fields, "lang", "python", "nmae"]) | text


@settings(max_examples=150)
@given(st.dictionaries(fields, json_values, max_size=8))
def test_any_mapping_either_parses_or_raises_manifest_error(data: dict[str, Any]) -> None:
    try:
        parse_manifest(data)
    except ManifestError as e:
        assert "\n" not in str(e)
        assert "pydantic" not in str(e).lower()


@settings(max_examples=150)
@given(st.text(max_size=200))
def test_any_text_either_parses_or_raises_manifest_error(source: str) -> None:
    try:
        parse_manifest_yaml(source)
    except ManifestError as e:
        assert "Traceback" not in str(e)
