"""Racetrack stops gracefully on SIGTERM and brings every job back when it starts again."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ADMIN_PASSWORD, SAMPLES, Cli, Server, racetrack_bin, start_server, stop_server

pytestmark = pytest.mark.e2e


def login(server: Server) -> str:
    response = httpx.post(
        f"{server.remote}/api/v1/users/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    response.raise_for_status()
    return str(response.json()["token"])


def add(server: Server, token: str, name: str) -> httpx.Response:
    return httpx.post(
        f"{server.pub}/job/{name}/latest/api/v1/perform",
        json={"numbers": [40, 2]},
        headers={"X-Racetrack-Auth": token},
        timeout=10,
    )


def job_address(server: Server, token: str, name: str) -> str:
    job = httpx.get(f"{server.remote}/api/v1/job/{name}/latest", headers={"X-Racetrack-Auth": token}).json()
    return str(job["internal_name"])


def direct_live(address: str) -> bool:
    try:
        return httpx.get(f"http://{address}/live", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_jobs_stop_with_racetrack_and_come_back_after_a_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path, extra_env={"LOG_STRUCTURED": "true"})
    try:
        cli = Cli(racetrack_bin(), tmp_path / "home")
        (tmp_path / "home").mkdir()
        cli("login", "--username", "admin", "--remote", server.remote, input=ADMIN_PASSWORD + "\n")
        cli("deploy", str(SAMPLES / "python-class"), "--remote", server.remote, "-e", "replicas=2")
        token = login(server)
        assert add(server, token, "adder").json() == 42
        address = job_address(server, token, "adder")
    finally:
        assert stop_server(server) == 0, server.output()

    # graceful stop: the job's processes were stopped too
    assert not direct_live(address)
    lines = [line for line in server.output().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["msg"] is not None for line in lines), lines[:5]

    restarted = start_server(tmp_path, port=int(server.base_url.rsplit(":", 1)[1]), data_dir=server.data_dir)
    try:
        assert add(restarted, login(restarted), "adder").json() == 42
    finally:
        assert stop_server(restarted) == 0


def test_jobs_survive_a_crash_of_racetrack_and_are_adopted(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    token = login(server)
    cli = Cli(racetrack_bin(), tmp_path / "home")
    (tmp_path / "home").mkdir()
    cli("login", "--username", "admin", "--remote", server.remote, input=ADMIN_PASSWORD + "\n")
    cli("deploy", str(SAMPLES / "python-class"), "--remote", server.remote)
    address = job_address(server, token, "adder")
    stop_server(server, signal.SIGKILL)

    assert direct_live(address), "the job process should outlive a crashed Racetrack"
    restarted = start_server(tmp_path, port=int(server.base_url.rsplit(":", 1)[1]), data_dir=server.data_dir)
    try:
        token = login(restarted)
        assert job_address(restarted, token, "adder") == address  # adopted, not restarted elsewhere
        assert add(restarted, token, "adder").json() == 42
    finally:
        assert stop_server(restarted) == 0
