"""Errors the CLI reports as one line, without a traceback (exit code 1).

    RacetrackError (racetrack.core.errors)
    └── ClientError                      anything the CLI reports as ``<message>``
        ├── ConfigError                  unreadable or malformed ~/.racetrack/config.yaml
        ├── ConnectionFailedError        Lifecycle / PUB unreachable, TLS failure, timeout
        ├── ResponseError                non-2xx answer: ``Lifecycle response error: ...``
        ├── AuthError                    ``authentication error: ...``
        └── DeploymentFailedError        ``deployment error: ...``

Errors from the shared manifest package (``ManifestError``) are ``RacetrackError`` too and are
reported the same way.
"""

from __future__ import annotations

from racetrack.core.errors import RacetrackError


class ClientError(RacetrackError):
    """A failure the CLI reports as its message on one line."""


class ConfigError(ClientError):
    """The local config file can't be read or has the wrong shape."""


class ConnectionFailedError(ClientError):
    """The server could not be reached (refused, DNS, TLS, timeout)."""


class ResponseError(ClientError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, http_status: int, server_message: str | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.server_message = server_message


class AuthError(ClientError):
    """Missing or rejected credentials; the message reads ``authentication error: <cause>``."""

    def __init__(self, cause: str) -> None:
        super().__init__(f"authentication error: {cause}")
        self.cause = cause


class DeploymentFailedError(ClientError):
    """A deployment ended in ``failed``; the message reads ``deployment error: <cause>``."""

    def __init__(self, cause: str) -> None:
        super().__init__(f"deployment error: {cause}")
        self.cause = cause
