"""The local config file ``~/.racetrack/config.yaml`` (path overridable with ``RACETRACK_CONFIG``).

```yaml
lifecycle_url: http://127.0.0.1:7000          # current remote: a URL or an alias
lifecycle_url_aliases: {prod: https://racetrack.example.org/lifecycle}
git_credentials: {https://github.com: {username: me, password: ghp_xxx}}
user_auths: {https://racetrack.example.org/lifecycle: <token>}   # resolved URL -> token
```

The file holds secrets: it is written with mode 600 and loading it warns when group or others
may read or write it. Keys this client does not know are kept as they are.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from racetrack.client.errors import ConfigError

CONFIG_PATH_ENV = "RACETRACK_CONFIG"
DEFAULT_LIFECYCLE_URL = "http://127.0.0.1:7000"
KNOWN_KEYS = ("lifecycle_url", "lifecycle_url_aliases", "git_credentials", "user_auths")


@dataclass
class GitCredentials:
    """Read-only credentials for cloning a job's git repository."""

    username: str
    password: str

    def to_dict(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}


@dataclass
class ClientConfig:
    """The parsed config file."""

    lifecycle_url: str = DEFAULT_LIFECYCLE_URL
    lifecycle_url_aliases: dict[str, str] = field(default_factory=dict)
    git_credentials: dict[str, GitCredentials] = field(default_factory=dict)
    user_auths: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, source: str = "config") -> ClientConfig:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a mapping at the top level")
        config = cls(extra={key: value for key, value in data.items() if key not in KNOWN_KEYS})
        lifecycle_url = data.get("lifecycle_url")
        if lifecycle_url is not None:
            config.lifecycle_url = _string(lifecycle_url, source, "lifecycle_url")
        config.lifecycle_url_aliases = _string_map(
            data.get("lifecycle_url_aliases"), source, "lifecycle_url_aliases"
        )
        config.user_auths = _string_map(data.get("user_auths"), source, "user_auths")
        credentials = data.get("git_credentials") or {}
        if not isinstance(credentials, dict):
            raise ConfigError(f"{source}: git_credentials must be a mapping of repository URL to credentials")
        for repo, value in credentials.items():
            if not isinstance(value, dict) or "username" not in value or "password" not in value:
                raise ConfigError(f"{source}: git_credentials.{repo} must have username and password")
            config.git_credentials[str(repo)] = GitCredentials(
                username=str(value["username"]), password=str(value["password"])
            )
        return config

    def to_dict(self) -> dict[str, Any]:
        return {
            "lifecycle_url": self.lifecycle_url,
            "lifecycle_url_aliases": dict(self.lifecycle_url_aliases),
            "git_credentials": {repo: cred.to_dict() for repo, cred in self.git_credentials.items()},
            "user_auths": dict(self.user_auths),
            **self.extra,
        }

    def find_git_credentials(self, remote: str) -> GitCredentials | None:
        """Credentials for a git remote; first hit of: exact remote, URL without query,
        ``scheme://host``, ``host``."""
        split = urlsplit(remote)
        candidates = [
            remote,
            f"{split.scheme}://{split.netloc}{split.path}",
            f"{split.scheme}://{split.netloc}",
            split.netloc,
        ]
        for candidate in candidates:
            if candidate in self.git_credentials:
                return self.git_credentials[candidate]
        return None


def _string(value: Any, source: str, key: str) -> str:
    if not isinstance(value, str | int | float):
        raise ConfigError(f"{source}: {key} must be a string")
    return str(value)


def _string_map(value: Any, source: str, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {key} must be a mapping")
    return {str(k): _string(v, source, f"{key}.{k}") for k, v in value.items()}


def default_config_path() -> Path:
    """``$RACETRACK_CONFIG`` if set, else ``~/.racetrack/config.yaml``."""
    override = os.environ.get(CONFIG_PATH_ENV)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".racetrack" / "config.yaml"


class ConfigStore:
    """Loads and saves the config file, guarding its permissions."""

    def __init__(self, path: Path | None = None, warn: Callable[[str], None] | None = None) -> None:
        self.path = path or default_config_path()
        self._warn = warn or (lambda message: None)

    def load(self) -> ClientConfig:
        """The config, or the defaults when the file doesn't exist."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ClientConfig()
        except OSError as e:
            raise ConfigError(f"cannot read config file {self.path}: {e.strerror or e}") from e
        self.check_permissions()
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"config file {self.path} is not valid YAML: {_first_line(e)}") from e
        return ClientConfig.from_dict(data, source=f"config file {self.path}")

    def check_permissions(self) -> None:
        """Warn when the file is readable or writable by group or others."""
        try:
            mode = self.path.stat().st_mode
        except OSError:
            return
        problems = []
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            problems.append("readable")
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            problems.append("writable")
        if problems:
            self._warn(
                f"Config file {self.path} is {' and '.join(problems)} by others! "
                f"Change permissions to 600 (chmod 600 {self.path})."
            )

    def save(self, config: ClientConfig) -> None:
        """Write the config atomically with mode 600, creating its directory (mode 700)."""
        import yaml

        text = yaml.safe_dump(config.to_dict(), sort_keys=False, default_flow_style=False)
        directory = self.path.parent
        try:
            if not directory.exists():
                directory.mkdir(mode=0o700, parents=True)
            temp = directory / f".{self.path.name}.{os.getpid()}.tmp"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    file.write(text)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
            os.replace(temp, self.path)
        except OSError as e:
            raise ConfigError(f"cannot write config file {self.path}: {e.strerror or e}") from e


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
