from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from racetrack.core.semver import (
    SemanticVersion,
    is_version_alias,
    resolve_job_version,
    resolve_wildcard_version,
)


def test_parse_rejects_non_semver_with_the_expected_form() -> None:
    with pytest.raises(ValueError, match=r"Version '1.0' doesn't match SemVer format 'X.Y.Z\[-label\]'"):
        SemanticVersion.parse("1.0")


def test_prerelease_ranks_below_release_and_numeric_identifiers_compare_as_numbers() -> None:
    order = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
    parsed = [SemanticVersion.parse(v) for v in order]
    assert sorted(reversed(parsed)) == parsed


def test_rc10_sorts_above_rc9() -> None:
    assert SemanticVersion.parse("1.0.0-rc.10") > SemanticVersion.parse("1.0.0-rc.9")


def test_latest_ignores_prerelease_and_build_labels() -> None:
    assert resolve_job_version(["1.0.0", "2.0.0-alpha", "1.5.0+build"], "latest") == "1.0.0"
    assert resolve_job_version(["2.0.0-alpha"], "latest") is None


def test_x_wildcards_pick_the_highest_stable_match() -> None:
    versions = ["1.2.3", "1.2.10", "1.3.0", "2.0.0", "1.9.0-rc.1"]
    assert resolve_job_version(versions, "1.x") == "1.3.0"
    assert resolve_job_version(versions, "1.2.x") == "1.2.10"
    assert resolve_job_version(versions, "1.x.x") == "1.3.0"
    assert resolve_job_version(versions, "x") == "2.0.0"
    assert resolve_job_version(versions, "3.x") is None


def test_exact_version_must_exist() -> None:
    assert resolve_job_version(["1.0.0-dev"], "1.0.0-dev") == "1.0.0-dev"
    assert resolve_job_version(["1.0.0"], "1.0.1") is None


def test_aliases_are_recognised() -> None:
    assert is_version_alias("latest") and is_version_alias("1.x") and not is_version_alias("1.0.0")


def test_job_type_wildcards_and_latest_include_unstable_versions() -> None:
    versions = ["2.4.0", "2.10.1", "3.0.0-rc.1", "1.3.2-3.9-bullseye", "1.3.10-3.9-bullseye"]
    assert resolve_wildcard_version(versions, "2.*.*") == "2.10.1"
    assert resolve_wildcard_version(versions, "1.3.*-3.9-bullseye") == "1.3.10-3.9-bullseye"
    assert resolve_wildcard_version(versions, "latest") == "3.0.0-rc.1"
    assert resolve_wildcard_version(versions, "9.*") is None
    assert resolve_wildcard_version(versions, "2.4.0") == "2.4.0"


@given(st.tuples(st.integers(0, 999), st.integers(0, 999), st.integers(0, 999)))
def test_round_trip_of_plain_versions(parts: tuple[int, int, int]) -> None:
    text = ".".join(map(str, parts))
    assert str(SemanticVersion.parse(text)) == text
