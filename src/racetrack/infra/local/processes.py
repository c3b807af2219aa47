"""What the local target reads about processes from ``/proc`` (Linux), and how it ends them.

A process is identified by its pid *and* its start time (``/proc/<pid>/stat`` field 22, in
clock ticks since boot), so a pid recycled by the kernel for an unrelated process is never
mistaken for a job replica. Every replica is started in its own session (``setsid``), so its
pid is also its process group and session id: signals go to the whole group, and memory is
summed over the whole session (a replica's own subprocesses count too).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass

PROC = "/proc"
KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class ProcStat:
    state: str  # R, S, D, Z, ...
    session: int
    start_ticks: int
    rss_bytes: int


def read_stat(pid: int) -> ProcStat | None:
    """The parts of ``/proc/<pid>/stat`` the target uses; None if there is no such process."""
    try:
        with open(f"{PROC}/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", errors="replace")
    except OSError:
        return None
    rest = data[data.rfind(")") + 2 :].split()  # comm may contain spaces and parentheses
    try:  # field n of proc(5) is rest[n - 3]
        return ProcStat(
            state=rest[0],
            session=int(rest[3]),
            start_ticks=int(rest[19]),
            rss_bytes=int(rest[21]) * _PAGE_SIZE,
        )
    except (IndexError, ValueError):
        return None


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot; None if it does not exist."""
    stat = read_stat(pid)
    return stat.start_ticks if stat else None


def is_running(pid: int, expected_start_ticks: int | None) -> bool:
    """Whether ``pid`` is alive (not a zombie) and is the process that started at that time."""
    stat = read_stat(pid)
    if stat is None:
        if os.path.isdir(PROC):
            return False
        try:  # no /proc (not Linux): the pid alone has to do
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if stat.state in {"Z", "X", "x"}:
        return False
    return expected_start_ticks is None or stat.start_ticks == expected_start_ticks


def session_rss(sessions: Iterable[int]) -> dict[int, int]:
    """Resident memory in bytes summed over all processes of each of these session ids."""
    wanted = set(sessions)
    totals = dict.fromkeys(wanted, 0)
    if not wanted:
        return totals
    try:
        entries = os.listdir(PROC)
    except OSError:
        return totals
    for entry in entries:
        if not entry.isdigit():
            continue
        stat = read_stat(int(entry))
        if stat is not None and stat.session in wanted:
            totals[stat.session] += stat.rss_bytes
    return totals


def describe_exit(returncode: int) -> str:
    """``exited with code 1`` or ``killed by signal SIGKILL``."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"killed by signal {name}"
    return f"exited with code {returncode}"


def format_bytes(value: int) -> str:
    """Bytes in Kubernetes notation when exact (``256Mi``, ``1Gi``), else rounded to ``Mi``."""
    for unit, size in (("Gi", GIB), ("Mi", MIB), ("Ki", KIB)):
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    if value >= MIB:
        return f"{value / MIB:.0f}Mi"
    return str(value)


def signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid``; quiet if it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@dataclass
class Stoppable:
    """A process to stop: its Popen when it is our child, else its pid and start time."""

    pid: int
    start_ticks: int | None
    popen: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return is_running(self.pid, self.start_ticks)


def terminate(processes: Iterable[Stoppable], timeout: float) -> None:
    """SIGTERM every process group, wait up to ``timeout`` s, then SIGKILL what is left."""
    processes = list(processes)
    pending = [p for p in processes if p.alive()]
    for p in pending:
        signal_group(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        time.sleep(0.05)
        pending = [p for p in pending if p.alive()]
    for p in pending:
        signal_group(p.pid, signal.SIGKILL)
    for p in processes:
        if p.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.popen.wait(timeout=2)
            # leftovers of the group: while any member lives, the kernel keeps its id reserved
            signal_group(p.pid, signal.SIGKILL)
