"""The error raised for every invalid manifest, extends overlay, extra var or secret env file."""

from __future__ import annotations

from collections.abc import Sequence

from racetrack.core.errors import InvalidInputError


class ManifestError(InvalidInputError):
    """A manifest problem, reported as one line naming the field path and the expected form.

    ``problems`` holds the individual problems (field-path prefixed) when several were found;
    ``message`` joins them with ``'; '`` after a context such as ``invalid manifest job.yaml``.
    """

    def __init__(self, message: str, problems: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems) if problems is not None else [message]

    @classmethod
    def from_problems(cls, context: str, problems: Sequence[str]) -> ManifestError:
        """Build ``"<context>: <problem>; <problem>"``."""
        return cls(f"{context}: {'; '.join(problems)}", problems)


_QUOTE_MAX_LENGTH = 60


def quote(text: str) -> str:
    """``'text'`` for messages: one line, cut to a readable length, escapes when unprintable."""
    if len(text) > _QUOTE_MAX_LENGTH:
        text = text[: _QUOTE_MAX_LENGTH - 3] + "..."
    return f"'{text}'" if text.isprintable() and "'" not in text else repr(text)
