from __future__ import annotations

from decimal import Decimal

import pytest

from racetrack.manifest import ManifestError, Quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("1024", 1024),
        ("1.5", 1.5),
        ("1k", 1000),
        ("2M", 2_000_000),
        ("3G", 3 * 10**9),
        ("1T", 10**12),
        ("1P", 10**15),
        ("1E", 10**18),
        ("1Ki", 1024),
        ("256Mi", 256 * 2**20),
        ("1Gi", 2**30),
        ("0.5Gi", 2**29),
        ("1Ti", 2**40),
        ("1Pi", 2**50),
        ("1Ei", 2**60),
        ("10m", 0.01),
        ("1000m", 1),
        ("5u", 5e-6),
        ("7n", 7e-9),
        ("3p", 3e-12),
    ],
)
def test_quantity_value_applies_the_suffix(text: str, value: float) -> None:
    assert Quantity.parse(text).value == pytest.approx(value)


def test_quantity_keeps_its_original_text() -> None:
    assert str(Quantity.parse("1024Mi")) == "1024Mi"
    assert repr(Quantity.parse("1Gi")) == "Quantity('1Gi')"


def test_quantity_exact_value_avoids_float_rounding() -> None:
    assert Quantity.parse("10m").exact * 1000 == Decimal(10)


def test_quantities_compare_by_value_not_text() -> None:
    assert Quantity.parse("1Gi") == Quantity.parse("1024Mi")
    assert hash(Quantity.parse("1Gi")) == hash(Quantity.parse("1024Mi"))
    assert Quantity.parse("1G") < Quantity.parse("1Gi")
    assert Quantity.parse("1000m") == 1
    assert Quantity.parse("100m") > 0.05
    assert sorted([Quantity.parse("1Gi"), Quantity.parse("1k"), Quantity.parse("2Mi")]) == [
        Quantity.parse("1k"),
        Quantity.parse("2Mi"),
        Quantity.parse("1Gi"),
    ]


def test_quantity_is_not_equal_to_other_types() -> None:
    assert Quantity.parse("1") != "1"
    with pytest.raises(TypeError):
        _ = Quantity.parse("1") < "2"


@pytest.mark.parametrize("text", ["", "Gi", "1.", ".5", "-1", "1 Gi", "1.2.3", "1e3", "0x10"])
def test_quantity_rejects_malformed_numbers(text: str) -> None:
    with pytest.raises(ManifestError, match="invalid quantity .*expected a number with one of the suffixes"):
        Quantity.parse(text)


@pytest.mark.parametrize("text", ["12XB", "1gi", "1K", "5mi", "3KiB"])
def test_quantity_rejects_unknown_suffix_listing_the_allowed_ones(text: str) -> None:
    with pytest.raises(ManifestError) as info:
        Quantity.parse(text)
    assert f"invalid quantity '{text}'" in str(info.value)
    assert "Ei, Pi, Ti, Gi, Mi, Ki, m, u, n, p" in str(info.value)


def test_quantity_of_accepts_plain_numbers() -> None:
    assert Quantity.of(1024) == Quantity.parse("1024")
    assert str(Quantity.of(1024)) == "1024"
    assert str(Quantity.of(0.5)) == "0.5"
    assert str(Quantity.of(1e20)) == "100000000000000000000"
    assert Quantity.of(Quantity.parse("1Gi")) == Quantity.parse("1Gi")


@pytest.mark.parametrize("value", [True, -1, -0.5, None, [1]])
def test_quantity_of_rejects_booleans_negatives_and_other_types(value: object) -> None:
    with pytest.raises(ManifestError, match="invalid quantity"):
        Quantity.of(value)  # type: ignore[arg-type]


def test_quantity_surrounding_whitespace_is_ignored() -> None:
    assert str(Quantity.parse(" 1Gi ")) == "1Gi"
