"""Waiting for a quiet machine: the figures of a 2-core box mean little while something else runs."""

from __future__ import annotations

import time
from pathlib import Path


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return idle, sum(fields)


def busy_share(seconds: float = 1.0) -> float:
    """Share of all CPUs busy over the next ``seconds`` (0..1)."""
    idle0, total0 = _cpu_times()
    time.sleep(seconds)
    idle1, total1 = _cpu_times()
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total else 0.0


def wait_quiet(max_wait: float, threshold: float = 0.10, quiet_seconds: int = 3) -> float:
    """Wait (up to ``max_wait`` s) until the CPUs are under ``threshold`` busy for ``quiet_seconds`` in a row.

    Answers the busy share of the last second measured.
    """
    deadline = time.monotonic() + max_wait
    streak = 0
    share = busy_share()
    while time.monotonic() < deadline:
        streak = streak + 1 if share < threshold else 0
        if streak >= quiet_seconds:
            break
        share = busy_share()
    return share
