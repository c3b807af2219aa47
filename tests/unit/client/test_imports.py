"""The CLI must start fast: importing it (or running --help) loads no server dependency."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

SERVER_PACKAGES = [
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "uvloop",
    "aiohttp",
    "psycopg",
    "pydantic_settings",
    "prometheus_client",
    "cryptography",
    "pluggy",
    "racetrack.lifecycle",
    "racetrack.pub",
    "racetrack.server",
    "racetrack.builder",
    "racetrack.infra",
    "racetrack.dashboard",
    "racetrack.jobtypes",
    "racetrack.plugins",
]
# Needed by some commands, imported only inside them.
LAZY_PACKAGES = ["httpx", "yaml", "rich", "pydantic", "racetrack.manifest", "loguru"]

PROBE = """
import json, sys
sys.argv = ["racetrack", *{argv!r}]
import racetrack.client.main as main
if sys.argv[1:]:
    try:
        main.run()
    except SystemExit:
        pass
sys.stderr.write("MODULES=" + json.dumps(sorted(sys.modules)) + "\\n")
"""


def loaded_modules(*argv: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=list(argv))], capture_output=True, text=True, check=True
    )
    line = next(line for line in result.stderr.splitlines() if line.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def offenders(modules: set[str], packages: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize("argv", [(), ("--help",), ("deploy", "--help"), ("version",)])
def test_cli_imports_no_server_dependency(argv: tuple[str, ...]) -> None:
    assert offenders(loaded_modules(*argv), SERVER_PACKAGES) == []


@pytest.mark.parametrize("argv", [(), ("--help",)])
def test_cli_start_up_defers_heavy_libraries(argv: tuple[str, ...]) -> None:
    assert offenders(loaded_modules(*argv), LAZY_PACKAGES) == []


def test_talking_to_a_server_loads_httpx_without_its_cli() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    modules = loaded_modules("list", "--remote", f"http://127.0.0.1:{port}")
    assert "httpx" in modules
    assert offenders(modules, SERVER_PACKAGES) == []
    assert offenders(modules, ["httpx._main", "rich", "pygments", "click"]) == []


def test_httpx_cli_stays_importable_after_the_trick() -> None:
    code = (
        "import sys\n"
        "from racetrack.client.http import load_httpx\n"
        "load_httpx()\n"
        "import httpx, httpx._main\n"
        "assert callable(httpx.Client) and callable(httpx._main.main)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
