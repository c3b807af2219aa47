"""login and logout against the fake Lifecycle, and the missing-token rule."""

from __future__ import annotations

import stat
from pathlib import Path

from .conftest import Cli, read_config, write_config
from .fake_lifecycle import ADMIN_TOKEN, JANE_TOKEN, FakeLifecycle


def test_login_with_token_validates_and_saves_it_for_the_resolved_url(
    cli: Cli, lifecycle: FakeLifecycle, config_path: Path
) -> None:
    result = cli("login", ADMIN_TOKEN, "--remote", lifecycle.url)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Logged as user admin@example.com to Racetrack: {lifecycle.lifecycle_url}\n"
    assert ADMIN_TOKEN not in result.stdout
    (check,) = lifecycle.requests_to("GET", "/api/v1/users/validate_user_auth")
    assert check.headers["x-racetrack-auth"] == ADMIN_TOKEN
    assert read_config(config_path)["user_auths"] == {lifecycle.lifecycle_url: ADMIN_TOKEN}
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600


def test_login_with_an_invalid_token_saves_nothing(
    cli: Cli, lifecycle: FakeLifecycle, config_path: Path
) -> None:
    result = cli("login", "forged-token", "--remote", lifecycle.url)
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("ERROR authentication error: Invalid Auth Token")
    assert not config_path.exists()


def test_login_with_username_reads_the_password_from_stdin(
    cli: Cli, lifecycle: FakeLifecycle, config_path: Path
) -> None:
    write_config(config_path, {"lifecycle_url": "local", "lifecycle_url_aliases": {"local": lifecycle.url}})
    result = cli("login", "--username", "jane@example.com", input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert "s3cret-pass" not in result.output
    (login,) = lifecycle.requests_to("POST", "/api/v1/users/login")
    assert login.json() == {"username": "jane@example.com", "password": "s3cret-pass"}
    assert "x-racetrack-auth" not in login.headers
    assert read_config(config_path)["user_auths"] == {lifecycle.lifecycle_url: JANE_TOKEN}


def test_login_with_a_wrong_password(cli: Cli, lifecycle: FakeLifecycle, config_path: Path) -> None:
    result = cli("login", "--username", "jane@example.com", "--remote", lifecycle.url, input="nope\n")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("ERROR authentication error: incorrect username or password")
    assert not config_path.exists()


def test_login_needs_exactly_one_of_token_and_username(cli: Cli, lifecycle: FakeLifecycle) -> None:
    for args in ([], [ADMIN_TOKEN, "--username", "jane@example.com"]):
        result = cli("login", *args, "--remote", lifecycle.url)
        assert result.exit_code == 1
        assert result.stderr.strip().endswith("ERROR Use either auth token or username")
    assert lifecycle.requests == []


def test_logout_forgets_the_token(cli: Cli, logged_in: FakeLifecycle, config_path: Path) -> None:
    result = cli("logout")
    assert result.exit_code == 0
    assert result.stdout == f"Logged out from Racetrack: {logged_in.lifecycle_url}\n"
    assert read_config(config_path)["user_auths"] == {}


def test_logout_without_a_saved_token_fails(cli: Cli, lifecycle: FakeLifecycle) -> None:
    result = cli("logout", "--remote", lifecycle.url)
    assert result.exit_code == 1
    assert f"Missing {lifecycle.lifecycle_url} in Racetrack logged servers" in result.stderr


def test_missing_token_fails_with_the_login_hint(cli: Cli, lifecycle: FakeLifecycle) -> None:
    result = cli("list", "--remote", lifecycle.url)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.endswith(
        f"ERROR authentication error: missing auth token for {lifecycle.lifecycle_url}. "
        f"You need to do: racetrack login <token> --remote {lifecycle.lifecycle_url}"
    )
    assert [r.path for r in lifecycle.requests] == ["/lifecycle/api/v1/info"]


def test_no_token_is_needed_when_the_server_does_not_require_auth(cli: Cli, lifecycle: FakeLifecycle) -> None:
    lifecycle.auth_required = False
    lifecycle.add_job("adder", "0.0.1")
    result = cli("list", "--remote", lifecycle.url)
    assert result.exit_code == 0, result.output
    assert "adder" in result.stdout
    assert "x-racetrack-auth" not in lifecycle.requests_to("GET", "/api/v1/job")[0].headers


def test_tokens_are_kept_per_remote(cli: Cli, lifecycle: FakeLifecycle, config_path: Path) -> None:
    write_config(config_path, {"user_auths": {"https://prod.example.org/lifecycle": "prod-token"}})
    assert cli("login", JANE_TOKEN, "--remote", lifecycle.url).exit_code == 0
    assert read_config(config_path)["user_auths"] == {
        "https://prod.example.org/lifecycle": "prod-token",
        lifecycle.lifecycle_url: JANE_TOKEN,
    }
