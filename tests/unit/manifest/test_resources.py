"""Effective resources at provisioning: defaults, auto-adjustment, the 4× rule and limits."""

from __future__ import annotations

import pytest

from racetrack.manifest import EffectiveResources, ManifestError, Quantity, Resources, effective_resources
from racetrack.manifest.resources import format_bytes

Mi = 2**20
Gi = 2**30


def res(**values: str) -> Resources:
    return Resources(**{key: Quantity(value) for key, value in values.items()})


def test_no_resources_take_the_defaults() -> None:
    assert effective_resources(None) == EffectiveResources(256 * Mi, 1 * Gi, 10, 1000)


def test_given_values_are_converted_to_bytes_and_millicores() -> None:
    result = effective_resources(res(memory_min="512Mi", memory_max="2Gi", cpu_min="100m", cpu_max="2"))
    assert (result.memory_min, result.memory_max, result.cpu_min, result.cpu_max) == (
        512 * Mi,
        2 * Gi,
        100,
        2000,
    )
    assert result.notes == ()


def test_millicores_are_exact_without_float_rounding() -> None:
    assert effective_resources(res(cpu_min="10m", cpu_max="0.3")).cpu_min == 10
    assert effective_resources(res(cpu_min="10m", cpu_max="0.3")).cpu_max == 300


def test_max_is_raised_to_a_given_min_above_the_default_max() -> None:
    result = effective_resources(res(memory_min="2Gi", cpu_min="1500m"))
    assert result.memory_max == 2 * Gi
    assert result.cpu_max == 1500
    assert any("memory_max raised to memory_min 2Gi" in note for note in result.notes)
    assert any("cpu_max raised to cpu_min 1500m" in note for note in result.notes)


def test_min_is_lowered_to_a_given_max_below_the_default_min() -> None:
    result = effective_resources(res(memory_max="128Mi", cpu_max="5m"))
    assert result.memory_min == 128 * Mi
    assert result.cpu_min == 5
    assert any("memory_min lowered to memory_max 128Mi" in note for note in result.notes)


def test_four_times_rule_raises_memory_min_to_a_quarter_of_max() -> None:
    result = effective_resources(res(memory_max="4Gi"))
    assert result.memory_min == 1 * Gi
    assert "memory_min raised from 256Mi to 1Gi, a quarter of memory_max 4Gi" in result.notes


def test_four_times_rule_keeps_a_min_that_is_a_quarter_already() -> None:
    assert effective_resources(res(memory_min="256Mi", memory_max="1Gi")).memory_min == 256 * Mi


def test_four_times_rule_rounds_up_to_whole_bytes() -> None:
    assert effective_resources(res(memory_min="1", memory_max="1001")).memory_min == 251


def test_memory_max_above_the_limit_fails() -> None:
    with pytest.raises(ManifestError) as info:
        effective_resources(res(memory_max="16Gi"))
    assert "resources.memory_max: 16Gi exceeds the memory limit 8Gi allowed for a job" in str(info.value)


def test_limit_is_configurable() -> None:
    assert effective_resources(res(memory_max="16Gi"), max_job_memory_limit="32Gi").memory_max == 16 * Gi


def test_zero_cpu_min_fails() -> None:
    with pytest.raises(ManifestError, match=r"resources\.cpu_min: must be greater than 0"):
        effective_resources(res(cpu_min="0"))


def test_zero_memory_fails() -> None:
    with pytest.raises(ManifestError, match=r"resources\.memory_min: must be greater than 0"):
        effective_resources(res(memory_min="0", memory_max="0"))


def test_min_above_max_fails_for_memory_and_cpu() -> None:
    with pytest.raises(ManifestError) as info:
        effective_resources(res(memory_min="2Gi", memory_max="1Gi", cpu_min="2", cpu_max="1"))
    message = str(info.value)
    assert "resources.memory_min: 2Gi must not exceed memory_max 1Gi" in message
    assert "resources.cpu_min: 2000m must not exceed cpu_max 1000m" in message


def test_defaults_can_be_given_as_quantities_or_text() -> None:
    result = effective_resources(
        None,
        default_job_memory_min=Quantity("100Mi"),
        default_job_memory_max="200Mi",
        default_job_cpu_min="1m",
        default_job_cpu_max=Quantity("1"),
    )
    assert result == EffectiveResources(100 * Mi, 200 * Mi, 1, 1000)


@pytest.mark.parametrize(
    ("amount", "text"), [(0, "0"), (1000, "1000"), (1024, "1Ki"), (256 * Mi, "256Mi"), (3 * Gi, "3Gi")]
)
def test_format_bytes_uses_the_largest_whole_binary_unit(amount: int, text: str) -> None:
    assert format_bytes(amount) == text
