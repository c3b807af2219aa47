"""docs/cli.md carries the current --help of every command."""

from __future__ import annotations

from pathlib import Path

from racetrack.client import reference

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def test_cli_reference_in_docs_is_up_to_date() -> None:
    current = DOC.read_text(encoding="utf-8")
    assert reference.apply(current) == current, (
        "docs/cli.md is stale: run python -m racetrack.client.reference --write docs/cli.md"
    )


def test_docs_show_the_usage_line_of_every_command() -> None:
    text = DOC.read_text(encoding="utf-8")
    commands = [
        "deploy", "validate", "list", "call", "logs", "build-logs", "delete", "login", "logout",
        "version", "up", "serve", "set remote", "set alias", "set credentials",
        "get remote", "get pub", "get config", "get auth-token",
    ]  # fmt: skip
    for command in commands:
        assert f"Usage: racetrack {command} [OPTIONS]" in text, command


def test_docs_describe_every_environment_variable() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in ("RACETRACK_CONFIG", "RACETRACK_INSECURE", "RACETRACK_DATA_DIR"):
        assert f"`{name}`" in text


def test_check_mode_reports_a_stale_page(tmp_path: Path) -> None:
    page = tmp_path / "cli.md"
    page.write_text("# CLI\n")
    assert reference.main(["--check", str(page)]) == 1
    assert reference.main(["--write", str(page)]) == 0
    assert reference.main(["--check", str(page)]) == 0
    assert page.read_text().startswith("# CLI\n\n" + reference.BEGIN)
