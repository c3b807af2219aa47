"""The installed ``racetrack`` program as a user runs it: real process, real pipes, signals."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import write_config
from .fake_lifecycle import ADMIN_TOKEN, FakeLifecycle


def racetrack_command() -> list[str]:
    script = Path(sys.executable).with_name("racetrack")
    if script.exists():
        return [str(script)]
    found = shutil.which("racetrack")
    return [found] if found else [sys.executable, "-m", "racetrack.client"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*racetrack_command(), *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=60
    )


def test_piped_list_is_data_only(logged_in: FakeLifecycle) -> None:
    logged_in.add_job("adder", "0.0.1")
    result = run("list")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "NAME    VERSION   STATUS\nadder   0.0.1     RUNNING\n"
    assert result.stderr == ""


def test_errors_exit_with_1_and_one_line_on_stderr(logged_in: FakeLifecycle) -> None:
    result = run("delete", "ghost", "--version", "1.0.0")
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_module_entry_point_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "racetrack.client", "version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.startswith("racetrack-client version ")


def test_logs_follow_stops_quietly_on_ctrl_c(lifecycle: FakeLifecycle, config_path: Path) -> None:
    write_config(
        config_path, {"lifecycle_url": lifecycle.url, "user_auths": {lifecycle.lifecycle_url: ADMIN_TOKEN}}
    )
    lifecycle.add_job("adder", "0.0.1")
    lifecycle.stream_hold = True
    process = subprocess.Popen(
        [*racetrack_command(), "logs", "adder", "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines == ["stream 1\n", "stream 2\n", "stream 3\n"]
        time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert stdout == ""
    assert stderr == ""


@pytest.mark.parametrize("argv", [["--help"], ["deploy", "--help"]])
def test_help_is_printed_by_the_installed_script(argv: list[str]) -> None:
    result = run(*argv)
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: racetrack")
