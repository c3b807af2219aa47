"""The error hierarchy shared by every component.

Each class knows the HTTP status it maps to; one handler per app turns any
:class:`RacetrackError` into the canonical body ``{"error": message, "type": ClassName}``.

    RacetrackError (500)
    ├── InvalidInputError (400)        bad manifest, payload, parameter
    ├── AuthenticationError (401)      missing, unknown, revoked token; wrong password
    ├── PermissionDeniedError (401)    valid subject lacking a scope (401 as upstream)
    ├── NotFoundError (404)
    ├── AlreadyExistsError (409)       name+version taken, duplicate ESC id
    ├── ConflictError (409)            deployment already in progress
    ├── PayloadTooLargeError (413)
    ├── MaintenanceModeError (503)
    └── DeploymentError (500)          a deployment step failed (build, provision, health)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class RacetrackError(Exception):
    """Base of every error Racetrack reports to a user."""

    status_code: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, str]:
        return {"error": self.message, "type": type(self).__name__}


class InvalidInputError(RacetrackError):
    status_code = 400


class AuthenticationError(RacetrackError):
    status_code = 401


class PermissionDeniedError(RacetrackError):
    status_code = 401


class NotFoundError(RacetrackError):
    status_code = 404


class AlreadyExistsError(RacetrackError):
    status_code = 409


class ConflictError(RacetrackError):
    status_code = 409


class PayloadTooLargeError(RacetrackError):
    status_code = 413


class MaintenanceModeError(RacetrackError):
    status_code = 503


class DeploymentError(RacetrackError):
    status_code = 500


def with_context(context: str, error: BaseException) -> RacetrackError:
    """Wrap ``error`` as the same kind of RacetrackError with ``context: `` prepended.

    Use as ``raise with_context("building image", e) from e`` so messages read as a
    chain, most general first: ``deploying job adder: building image: pip failed``.
    """
    cls = type(error) if isinstance(error, RacetrackError) else RacetrackError
    message = error.message if isinstance(error, RacetrackError) else (str(error) or type(error).__name__)
    return cls(f"{context}: {message}")


def validation_problems(
    error: ValidationError, root: str = "(root)", messages: Mapping[str, str] | None = None
) -> str:
    """``field.path: message; ...`` of a pydantic error, without its "Value error, " prefixes.

    ``messages`` replaces pydantic's wording for some error types (``extra_forbidden``...).
    """
    parts = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or root
        text = (messages or {}).get(item["type"]) or str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{path}: {text}")
    return "; ".join(parts)
