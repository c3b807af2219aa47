"""Distributed mode: Lifecycle and PUB as separate processes, state in PostgreSQL.

PUB knows Lifecycle only by its URL, so this is also the proof that the two talk over HTTP.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import require
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    SAMPLES,
    Cli,
    free_port,
    racetrack_bin,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.e2e

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def database() -> Iterator[str]:
    import psycopg

    name = f"racetrack_e2e_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/test", autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError as e:
        require(False, f"PostgreSQL on 127.0.0.1:5432 is needed: {e}")
        raise
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{POSTGRES}/{name}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_lifecycle_and_pub_as_separate_processes_on_postgresql(tmp_path: Path, database: str) -> None:
    lifecycle_port, pub_port = free_port(), free_port()
    pub_url = f"http://127.0.0.1:{pub_port}/pub"
    lifecycle = start_server(
        tmp_path,
        port=lifecycle_port,
        args=["serve", "lifecycle", "--host", "127.0.0.1", "--port", str(lifecycle_port)],
        extra_env={
            "DATABASE_URL": database,
            "RACETRACK_DATA_DIR": str(tmp_path / "data"),
            "EXTERNAL_PUB_URL": pub_url,
            "INTERNAL_PUB_URL": pub_url,
            "EXTERNAL_LIFECYCLE_URL": f"http://127.0.0.1:{lifecycle_port}/lifecycle",
        },
    )
    pub = None
    try:
        pub = start_pub(tmp_path, pub_port, f"{lifecycle.base_url}/lifecycle")
        cli = Cli(racetrack_bin(), tmp_path / "home")
        (tmp_path / "home").mkdir()
        cli("login", "--username", "admin", "--remote", lifecycle.remote, input=ADMIN_PASSWORD + "\n")
        deployed = cli("deploy", str(SAMPLES / "python-class"), "--remote", lifecycle.remote)
        assert f"{pub_url}/job/adder/0.0.2" in deployed.stdout
        token = cli("get", "auth-token", "--remote", lifecycle.remote).stdout.strip()
        response = httpx.post(
            f"{pub_url}/job/adder/latest/api/v1/perform",
            json={"numbers": [40, 2]},
            headers={"X-Racetrack-Auth": token},
        )
        assert response.status_code == 200 and response.json() == 42
        assert httpx.get(f"{pub_url}/health").json()["service"] == "pub"
        _check_dashboard_alone(tmp_path, database)
    finally:
        if pub is not None:
            pub.terminate()
            pub.wait(timeout=30)
        assert stop_server(lifecycle) == 0


def _check_dashboard_alone(root: Path, database: str) -> None:
    """`racetrack serve dashboard` on the same database and key: log in, see the deployed job."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "RACETRACK_DATA_DIR": str(root / "data"),
        "HOME": str(root),
    }
    with (root / "dashboard.log").open("wb") as log:
        dashboard = subprocess.Popen(
            [racetrack_bin(), "serve", "dashboard", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (root / "dashboard.log").read_text()
            time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=10) as browser:
            login_page = browser.get("/dashboard/login")
            csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', login_page.text)
            assert csrf, login_page.text
            form = {"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": csrf.group(1), "next": ""}
            assert browser.post("/dashboard/login", data=form).status_code == 303
            jobs = browser.get("/dashboard/")
            assert jobs.status_code == 200 and "adder" in jobs.text and "v0.0.2" in jobs.text
    finally:
        dashboard.terminate()
        assert dashboard.wait(timeout=30) == 0


def start_pub(root: Path, port: int, lifecycle_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LIFECYCLE_URL": lifecycle_url, "HOME": str(root)}
    with (root / "pub.log").open("wb") as log:
        process = subprocess.Popen(
            [racetrack_bin(), "serve", "pub", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/pub/ready", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"PUB did not start:\n{(root / 'pub.log').read_text()}")
