"""The memory and CPU a job actually gets (spec manifest.md §6), computed at provisioning.

Lifecycle calls :func:`effective_resources` with its configured defaults. The rules, in order:

1. Unset values take the defaults; if only a minimum is given and the default maximum is below
   it, the maximum is raised to it; if only a maximum is given and the default minimum is above
   it, the minimum is lowered to it. Memory and CPU alike.
2. The 4× rule: if ``memory_min × 4 < memory_max``, ``memory_min`` is raised to a quarter of
   ``memory_max``.
3. ``memory_max`` must not exceed ``max_job_memory_limit``; ``memory_min`` and ``cpu_min`` must
   be above 0; each minimum must not exceed its maximum. Otherwise :class:`ManifestError`.

Each adjustment of steps 1-2 is described in ``EffectiveResources.notes`` for the log.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from racetrack.manifest.errors import ManifestError
from racetrack.manifest.model import Resources
from racetrack.manifest.quantity import Quantity

_BINARY_UNITS = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


@dataclass(frozen=True)
class EffectiveResources:
    """Resources to provision: memory in bytes, CPU in millicores."""

    memory_min: int
    memory_max: int
    cpu_min: int
    cpu_max: int
    notes: tuple[str, ...] = ()


def format_bytes(amount: int) -> str:
    """``268435456`` → ``256Mi``; amounts that are no whole binary unit stay plain."""
    for suffix, size in _BINARY_UNITS:
        if amount and amount % size == 0:
            return f"{amount // size}{suffix}"
    return str(amount)


def format_millicores(amount: int) -> str:
    """``1500`` → ``1500m``."""
    return f"{amount}m"


def _bytes(quantity: Quantity) -> int:
    return math.ceil(quantity.exact)


def _millicores(quantity: Quantity) -> int:
    return math.ceil(quantity.exact * Decimal(1000))


def _pair(
    kind: str,
    given_min: int | None,
    given_max: int | None,
    default_min: int,
    default_max: int,
    show: Callable[[int], str],
    notes: list[str],
) -> tuple[int, int]:
    low = given_min if given_min is not None else default_min
    high = given_max if given_max is not None else default_max
    if given_max is None and high < low:
        notes.append(f"{kind}_max raised to {kind}_min {show(low)} (the default {show(high)} is lower)")
        high = low
    if given_min is None and low > high:
        notes.append(f"{kind}_min lowered to {kind}_max {show(high)} (the default {show(low)} is higher)")
        low = high
    return low, high


def effective_resources(
    resources: Resources | None,
    *,
    default_job_memory_min: Quantity | str = "256Mi",
    default_job_memory_max: Quantity | str = "1Gi",
    default_job_cpu_min: Quantity | str = "10m",
    default_job_cpu_max: Quantity | str = "1000m",
    max_job_memory_limit: Quantity | str = "8Gi",
) -> EffectiveResources:
    """Apply defaults, auto-adjustment and limits to a manifest's ``resources``.

    Args:
        resources: the manifest's ``resources`` (None: all defaults).
        default_job_memory_min: memory minimum when the manifest sets none.
        default_job_memory_max: memory maximum when the manifest sets none.
        default_job_cpu_min: CPU minimum when the manifest sets none.
        default_job_cpu_max: CPU maximum when the manifest sets none.
        max_job_memory_limit: the highest memory maximum a job may have.

    Raises:
        ManifestError: a limit is broken; the message names the ``resources.*`` field.
    """
    given = resources or Resources()
    notes: list[str] = []

    def as_bytes(value: Quantity | None) -> int | None:
        return None if value is None else _bytes(value)

    def as_millicores(value: Quantity | None) -> int | None:
        return None if value is None else _millicores(value)

    memory_min, memory_max = _pair(
        "memory",
        as_bytes(given.memory_min),
        as_bytes(given.memory_max),
        _bytes(Quantity.of(default_job_memory_min)),
        _bytes(Quantity.of(default_job_memory_max)),
        format_bytes,
        notes,
    )
    cpu_min, cpu_max = _pair(
        "cpu",
        as_millicores(given.cpu_min),
        as_millicores(given.cpu_max),
        _millicores(Quantity.of(default_job_cpu_min)),
        _millicores(Quantity.of(default_job_cpu_max)),
        format_millicores,
        notes,
    )
    if memory_min * 4 < memory_max:
        raised = math.ceil(memory_max / 4)
        notes.append(
            f"memory_min raised from {format_bytes(memory_min)} to {format_bytes(raised)}, "
            f"a quarter of memory_max {format_bytes(memory_max)}"
        )
        memory_min = raised

    limit = _bytes(Quantity.of(max_job_memory_limit))
    problems = []
    if memory_max > limit:
        problems.append(
            f"resources.memory_max: {format_bytes(memory_max)} exceeds the memory limit "
            f"{format_bytes(limit)} allowed for a job"
        )
    if memory_min <= 0:
        problems.append("resources.memory_min: must be greater than 0")
    if cpu_min <= 0:
        problems.append("resources.cpu_min: must be greater than 0")
    if memory_min > memory_max:
        problems.append(
            f"resources.memory_min: {format_bytes(memory_min)} must not exceed "
            f"memory_max {format_bytes(memory_max)}"
        )
    if cpu_min > cpu_max:
        problems.append(
            f"resources.cpu_min: {format_millicores(cpu_min)} must not exceed "
            f"cpu_max {format_millicores(cpu_max)}"
        )
    if problems:
        raise ManifestError.from_problems("invalid resources", problems)
    return EffectiveResources(memory_min, memory_max, cpu_min, cpu_max, tuple(notes))
