from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from racetrack.client.config import ClientConfig, ConfigStore, GitCredentials, default_config_path
from racetrack.client.errors import ConfigError

from .conftest import write_config


def test_missing_file_gives_defaults(config_path: Path) -> None:
    config = ConfigStore().load()
    assert config.lifecycle_url == "http://127.0.0.1:7000"
    assert config.user_auths == {}
    assert not config_path.exists()


def test_config_path_follows_racetrack_config_env(config_path: Path) -> None:
    assert default_config_path() == config_path


def test_config_path_defaults_to_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RACETRACK_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_config_path() == tmp_path / ".racetrack" / "config.yaml"


def test_saved_config_has_mode_600_and_private_directory(config_path: Path) -> None:
    store = ConfigStore()
    store.save(ClientConfig(user_auths={"http://x/lifecycle": "secret"}))
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_path.parent.stat().st_mode) == 0o700
    assert store.load().user_auths == {"http://x/lifecycle": "secret"}


def test_saving_tightens_a_too_open_file(config_path: Path) -> None:
    write_config(config_path, {"lifecycle_url": "a"})
    os.chmod(config_path, 0o644)
    ConfigStore().save(ClientConfig(lifecycle_url="b"))
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("mode", "words"), [(0o644, "readable"), (0o620, "writable"), (0o666, "readable and writable")]
)
def test_loading_warns_when_others_can_access_the_file(config_path: Path, mode: int, words: str) -> None:
    write_config(config_path, {"lifecycle_url": "a"})
    os.chmod(config_path, mode)
    warnings: list[str] = []
    ConfigStore(warn=warnings.append).load()
    assert warnings == [
        f"Config file {config_path} is {words} by others! "
        f"Change permissions to 600 (chmod 600 {config_path})."
    ]


def test_private_file_loads_without_warning(config_path: Path) -> None:
    write_config(config_path, {"lifecycle_url": "a"})
    warnings: list[str] = []
    ConfigStore(warn=warnings.append).load()
    assert warnings == []


def test_unknown_keys_survive_a_round_trip(config_path: Path) -> None:
    write_config(config_path, {"lifecycle_url": "prod", "future_setting": {"x": 1}})
    store = ConfigStore()
    store.save(store.load())
    assert store.load().extra == {"future_setting": {"x": 1}}


@pytest.mark.parametrize(
    "content",
    ["- a list\n", "user_auths: [1, 2]\n", "git_credentials: {github.com: {username: me}}\n", "a: [\n"],
)
def test_malformed_config_is_a_one_line_config_error(config_path: Path, content: str) -> None:
    config_path.parent.mkdir(parents=True)
    config_path.write_text(content)
    os.chmod(config_path, 0o600)
    with pytest.raises(ConfigError) as error:
        ConfigStore().load()
    assert str(config_path) in str(error.value)
    assert "\n" not in str(error.value)


def test_git_credentials_lookup_order() -> None:
    exact, path, origin, host = (GitCredentials(name, "pw") for name in ("exact", "path", "origin", "host"))
    config = ClientConfig(
        git_credentials={
            "https://github.com/org/repo?ref=x": exact,
            "https://github.com/org/repo": path,
            "https://github.com": origin,
            "gitlab.example.com": host,
        }
    )
    assert config.find_git_credentials("https://github.com/org/repo?ref=x") is exact
    assert config.find_git_credentials("https://github.com/org/repo?ref=y") is path
    assert config.find_git_credentials("https://github.com/org/other") is origin
    assert config.find_git_credentials("https://gitlab.example.com/group/job") is host
    assert config.find_git_credentials("https://bitbucket.org/x/y") is None
