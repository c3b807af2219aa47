"""Loopback ports for job replicas, handed out round-robin from a configured range.

Round-robin (rather than lowest-free-first) delays the reuse of a port a deleted job had,
so a client still holding that job's address for a few seconds (PUB's route cache) gets a
refused connection rather than another job.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable

from racetrack.core.errors import DeploymentError

HOST = "127.0.0.1"


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether nothing listens on (or is bound to) ``host:port`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT does not count
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class PortAllocator:
    """Hands out free ports of ``[port_min, port_max]``, skipping the ones in ``reserved``."""

    def __init__(self, port_min: int, port_max: int) -> None:
        self.port_min = port_min
        self.port_max = port_max
        self._next = port_min
        self._lock = threading.Lock()

    def skip_past(self, ports: Iterable[int]) -> None:
        """Continue the round after the highest of ``ports`` (used ports found at start-up)."""
        in_range = [p for p in ports if self.port_min <= p <= self.port_max]
        if in_range:
            self._next = max(in_range) + 1 if max(in_range) < self.port_max else self.port_min

    def allocate(self, count: int, reserved: set[int], job: str) -> list[int]:
        """``count`` distinct free ports.

        Raises:
            DeploymentError: not enough free ports in the range.
        """
        size = self.port_max - self.port_min + 1
        found: list[int] = []
        with self._lock:
            port = self._next
            for _ in range(size):
                if port not in reserved and port not in found and port_is_free(port):
                    found.append(port)
                    if len(found) == count:
                        self._next = port + 1 if port < self.port_max else self.port_min
                        return found
                port = port + 1 if port < self.port_max else self.port_min
        raise DeploymentError(
            f"no free port in {self.port_min}-{self.port_max} for job {job}"
            + (f" ({count} replicas)" if count > 1 else "")
            + "; widen the range with the local target's port_min/port_max settings"
        )
