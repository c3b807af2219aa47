"""Process identity from /proc, memory per session, stopping process groups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from racetrack.infra.local.processes import (
    Stoppable,
    describe_exit,
    format_bytes,
    is_running,
    read_stat,
    session_rss,
    start_ticks,
    terminate,
)
from tests.conftest import require


@pytest.fixture(autouse=True)
def linux() -> None:
    require(Path("/proc/self/stat").exists(), "needs Linux /proc")


def spawn(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def test_start_ticks_identify_a_process() -> None:
    proc = spawn("import time; time.sleep(30)")
    try:
        ticks = start_ticks(proc.pid)
        assert ticks is not None
        assert is_running(proc.pid, ticks)
        assert not is_running(proc.pid, ticks + 1)  # same pid, another process: a recycled pid
    finally:
        proc.kill()
        proc.wait()
    assert not is_running(proc.pid, ticks)


def test_zombie_is_not_running() -> None:
    proc = spawn("pass")
    ticks = start_ticks(proc.pid)
    time.sleep(0.5)  # exited, not reaped yet
    assert read_stat(proc.pid) is not None and not is_running(proc.pid, ticks)
    proc.wait()


def test_session_rss_sums_the_whole_session() -> None:
    proc = spawn(
        "import subprocess, sys, time\n"
        "code = 'b = bytearray(60 * 2**20); import time; time.sleep(30)'\n"
        "child = subprocess.Popen([sys.executable, '-c', code])\n"
        "time.sleep(30)\n"
    )
    try:
        time.sleep(1.0)
        own = read_stat(proc.pid)
        assert own is not None
        total = session_rss([proc.pid])[proc.pid]
        assert total > own.rss_bytes + 50 * 2**20
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_terminate_escalates_to_sigkill() -> None:
    stubborn = spawn("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(30)")
    polite = spawn("import time; time.sleep(30)")
    time.sleep(0.3)
    started = time.monotonic()
    terminate(
        [Stoppable(stubborn.pid, start_ticks(stubborn.pid), stubborn), Stoppable(polite.pid, None, polite)],
        timeout=0.5,
    )
    assert time.monotonic() - started < 3
    assert stubborn.returncode == -signal.SIGKILL
    assert polite.returncode == -signal.SIGTERM


def test_terminate_leaves_a_recycled_pid_alone() -> None:
    bystander = spawn("import time; time.sleep(30)")
    try:
        ticks = start_ticks(bystander.pid)
        assert ticks is not None
        terminate([Stoppable(bystander.pid, ticks - 1)], timeout=0.2)  # not our process
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


@pytest.mark.parametrize(
    ("code", "text"), [(0, "exited with code 0"), (3, "exited with code 3"), (-9, "killed by signal SIGKILL")]
)
def test_describe_exit(code: int, text: str) -> None:
    assert describe_exit(code) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(256 * 2**20, "256Mi"), (2**30, "1Gi"), (3 * 2**10, "3Ki"), (300_000_000, "286Mi"), (100, "100")],
)
def test_format_bytes(value: int, text: str) -> None:
    assert format_bytes(value) == text
