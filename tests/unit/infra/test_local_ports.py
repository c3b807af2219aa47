"""Port allocation for local replicas."""

from __future__ import annotations

import socket

import pytest

from racetrack.core.errors import DeploymentError
from racetrack.infra.local.ports import PortAllocator, port_is_free


def free_block(size: int) -> int:
    """The first port of ``size`` consecutive free ports in a high range."""
    for start in range(47000, 48000, size):
        if all(port_is_free(p) for p in range(start, start + size)):
            return start
    raise RuntimeError("no free block")


def test_round_robin_skips_reserved_and_busy_ports() -> None:
    start = free_block(5)
    allocator = PortAllocator(start, start + 4)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", start + 1))
        busy.listen()
        assert allocator.allocate(2, reserved={start}, job="a") == [start + 2, start + 3]
        assert allocator.allocate(1, reserved=set(), job="a") == [start + 4]
        assert allocator.allocate(1, reserved=set(), job="a") == [start]  # wraps around


def test_skip_past_continues_after_used_ports() -> None:
    start = free_block(4)
    allocator = PortAllocator(start, start + 3)
    allocator.skip_past([start + 1, 99])
    assert allocator.allocate(1, reserved=set(), job="a") == [start + 2]


def test_exhausted_range_names_the_settings() -> None:
    start = free_block(2)
    allocator = PortAllocator(start, start + 1)
    with pytest.raises(DeploymentError) as info:
        allocator.allocate(3, reserved=set(), job="adder 0.0.1")
    assert str(info.value) == (
        f"no free port in {start}-{start + 1} for job adder 0.0.1 (3 replicas); "
        "widen the range with the local target's port_min/port_max settings"
    )
