"""set / get / version: the local config through the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from .conftest import Cli, read_config, write_config
from .fake_lifecycle import ADMIN_TOKEN, FakeLifecycle


def test_set_remote_stores_the_value_verbatim(cli: Cli, config_path: Path) -> None:
    result = cli("set", "remote", "prod")
    assert result.exit_code == 0
    assert result.stdout == 'Current remote set to "prod"\n'
    assert read_config(config_path)["lifecycle_url"] == "prod"


def test_set_alias_trims_trailing_slashes(cli: Cli, config_path: Path) -> None:
    assert cli("set", "alias", "prod", "https://rt.example.org/lifecycle//").exit_code == 0
    assert read_config(config_path)["lifecycle_url_aliases"] == {"prod": "https://rt.example.org/lifecycle"}


def test_get_remote_in_a_terminal_names_alias_and_url(cli: Cli, config_path: Path, tty: None) -> None:
    write_config(config_path, {"lifecycle_url": "prod", "lifecycle_url_aliases": {"prod": "rt.example.org"}})
    result = cli("get", "remote")
    assert result.stdout.strip().endswith(
        'INFO Current remote is "prod", resolving to https://rt.example.org/lifecycle'
    )
    write_config(config_path, {"lifecycle_url": "http://127.0.0.1:7000"})
    assert (
        cli("get", "remote")
        .stdout.strip()
        .endswith('INFO Current remote is "http://127.0.0.1:7000/lifecycle"')
    )


def test_get_remote_quiet_or_piped_prints_only_the_url(cli: Cli, config_path: Path, tty: None) -> None:
    write_config(config_path, {"lifecycle_url": "prod", "lifecycle_url_aliases": {"prod": "rt.example.org"}})
    assert cli("get", "remote", "-q").stdout == "https://rt.example.org/lifecycle\n"


def test_get_remote_piped_is_quiet(cli: Cli) -> None:
    assert cli("get", "remote").stdout == "http://127.0.0.1:7000/lifecycle\n"


def test_get_pub_asks_the_server_without_a_token(
    cli: Cli, lifecycle: FakeLifecycle, config_path: Path
) -> None:
    write_config(config_path, {"lifecycle_url": lifecycle.url})
    result = cli("get", "pub")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{lifecycle.url}/pub\n"
    assert "x-racetrack-auth" not in lifecycle.requests[0].headers


def test_get_pub_fails_when_the_server_does_not_report_it(
    cli: Cli, lifecycle: FakeLifecycle, config_path: Path
) -> None:
    lifecycle.external_pub_url = None
    result = cli("get", "pub", "--remote", lifecycle.url)
    assert result.exit_code == 1
    assert f"Racetrack at {lifecycle.lifecycle_url} doesn't report its PUB address" in result.stderr


def test_set_credentials_then_get_config_shows_them(cli: Cli, config_path: Path) -> None:
    assert cli("set", "credentials", "https://github.com", "jane", "ghp_token").exit_code == 0
    config = yaml.safe_load(cli("get", "config").stdout)
    assert config["git_credentials"] == {"https://github.com": {"username": "jane", "password": "ghp_token"}}
    assert config["lifecycle_url"] == "http://127.0.0.1:7000"


def test_set_credentials_prompts_for_a_missing_token(cli: Cli, config_path: Path) -> None:
    result = cli("set", "credentials", "https://gitlab.example.com", "jane", input="glpat-secret\n")
    assert result.exit_code == 0
    assert "glpat-secret" not in result.output
    assert (
        read_config(config_path)["git_credentials"]["https://gitlab.example.com"]["password"]
        == "glpat-secret"
    )


def test_get_auth_token_prints_the_saved_token(cli: Cli, logged_in: FakeLifecycle) -> None:
    result = cli("get", "auth-token")
    assert result.stdout == f"{ADMIN_TOKEN}\n"
    assert logged_in.requests == []


def test_get_auth_token_without_login_fails(cli: Cli) -> None:
    result = cli("get", "auth-token", "--remote", "rt.example.org")
    assert result.exit_code == 1
    assert "missing auth token for https://rt.example.org/lifecycle" in result.stderr


def test_open_config_file_gets_a_warning_but_works(cli: Cli, config_path: Path) -> None:
    write_config(config_path, {"lifecycle_url": "http://127.0.0.1:7000"})
    os.chmod(config_path, 0o644)
    result = cli("get", "remote")
    assert result.exit_code == 0
    assert result.stdout == "http://127.0.0.1:7000/lifecycle\n"
    assert f"WARN Config file {config_path} is readable by others! Change permissions to 600" in result.stderr


def test_version(cli: Cli) -> None:
    from racetrack import __version__

    assert cli("version").stdout == f"racetrack-client version {__version__}\n"
