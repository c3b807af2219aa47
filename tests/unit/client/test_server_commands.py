"""racetrack up / serve hand over to racetrack.server (replaced here by a recording stub)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from .conftest import Cli


@pytest.fixture
def server_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    stub = types.ModuleType("racetrack.server")
    stub.run_embedded = lambda *a, **kw: calls.append(("run_embedded", a, kw))  # type: ignore[attr-defined]
    stub.run_component = lambda *a, **kw: calls.append(("run_component", a, kw))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "racetrack.server", stub)
    return calls


def test_up_defaults(cli: Cli, server_calls: list[Any], tmp_path: Path) -> None:
    assert cli("up").exit_code == 0
    assert server_calls == [
        (
            "run_embedded",
            (),
            {"host": "127.0.0.1", "port": 7000, "data_dir": tmp_path / "home/.racetrack/data"},
        )
    ]


def test_up_data_dir_from_env_and_options(
    cli: Cli, server_calls: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RACETRACK_DATA_DIR", str(tmp_path / "from-env"))
    assert cli("up", "--host", "0.0.0.0", "--port", "7100").exit_code == 0
    assert cli("up", "--data-dir", str(tmp_path / "explicit")).exit_code == 0
    assert server_calls[0][2] == {"host": "0.0.0.0", "port": 7100, "data_dir": tmp_path / "from-env"}
    assert server_calls[1][2]["data_dir"] == tmp_path / "explicit"


def test_serve_runs_one_component(cli: Cli, server_calls: list[Any]) -> None:
    assert cli("serve", "lifecycle").exit_code == 0
    assert cli("serve", "pub", "--host", "0.0.0.0", "--port", "7105").exit_code == 0
    assert cli("serve", "dashboard").exit_code == 0
    assert server_calls == [
        ("run_component", ("lifecycle",), {}),
        ("run_component", ("pub",), {"host": "0.0.0.0", "port": 7105}),
        ("run_component", ("dashboard",), {}),
    ]


def test_serve_rejects_unknown_components(cli: Cli, server_calls: list[Any]) -> None:
    result = cli("serve", "nonsense")
    assert result.exit_code == 2
    assert server_calls == []


def test_missing_server_is_a_one_line_error(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "racetrack.server", None)
    result = cli("up")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "the Racetrack server can't be loaded" in line
