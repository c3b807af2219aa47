"""Semantic versions of jobs and job types, and the aliases used to pick one.

Job versions: ``latest`` (highest stable), ``1.x`` / ``1.2.x`` / ``x`` wildcards (highest
stable matching) and exact strings. Job type versions: ``latest`` (highest, unstable included)
and ``*`` wildcards (``2.*.*``, ``1.3.*-3.9-bullseye``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import total_ordering

_SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@total_ordering
@dataclass(frozen=True)
class SemanticVersion:
    """A ``MAJOR.MINOR.PATCH[-pre][+build]`` version ordered by SemVer precedence."""

    major: int
    minor: int
    patch: int
    pre: str | None = None
    build: str | None = None

    @classmethod
    def parse(cls, text: str) -> SemanticVersion:
        match = _SEMVER.match(text.strip())
        if not match:
            raise ValueError(f"Version '{text}' doesn't match SemVer format 'X.Y.Z[-label]'")
        return cls(
            int(match["major"]), int(match["minor"]), int(match["patch"]), match["pre"], match["build"]
        )

    @classmethod
    def is_valid(cls, text: str) -> bool:
        return bool(_SEMVER.match(text.strip()))

    @property
    def is_stable(self) -> bool:
        """A version without any label after X.Y.Z (neither ``-pre`` nor ``+build``)."""
        return self.pre is None and self.build is None

    def _pre_key(self) -> tuple[tuple[int, int | str], ...]:
        assert self.pre is not None
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in self.pre.split("."))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SemanticVersion):
            return NotImplemented
        if (self.major, self.minor, self.patch) != (other.major, other.minor, other.patch):
            return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)
        if self.pre == other.pre:
            return (self.build or "") < (other.build or "")
        if self.pre is None:
            return False
        if other.pre is None:
            return True
        return self._pre_key() < other._pre_key()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += f"-{self.pre}"
        if self.build:
            text += f"+{self.build}"
        return text


def _parsed(versions: Iterable[str]) -> list[tuple[SemanticVersion, str]]:
    result = []
    for text in versions:
        try:
            result.append((SemanticVersion.parse(text), text))
        except ValueError:
            continue
    return result


def is_version_alias(version: str) -> bool:
    """Whether ``version`` is ``latest`` or an ``x`` wildcard rather than an exact version."""
    return version == "latest" or "x" in version.split(".")


def resolve_job_version(available: Iterable[str], wanted: str) -> str | None:
    """Pick the job version that ``wanted`` names among ``available``; None when nothing matches.

    ``latest`` and wildcards (``1.x``, ``1.2.x``, ``x``) consider only stable versions.
    """
    available = list(available)
    if wanted == "latest":
        stable = [(v, t) for v, t in _parsed(available) if v.is_stable]
        return max(stable)[1] if stable else None
    parts = wanted.split(".")
    if "x" in parts:
        pattern = re.compile(
            r"^" + r"\.".join(r"[^.]+" if p == "x" else re.escape(p) for p in parts) + r"(\..+)?$"
        )
        matching = [(v, t) for v, t in _parsed(available) if v.is_stable and pattern.match(t)]
        return max(matching)[1] if matching else None
    return wanted if wanted in available else None


def resolve_wildcard_version(available: Iterable[str], wanted: str) -> str | None:
    """Resolve a job type version: exact, ``latest`` or ``*`` wildcard (unstable included)."""
    available = list(available)
    if wanted == "latest":
        parsed = _parsed(available)
        return max(parsed)[1] if parsed else (max(available) if available else None)
    if "*" in wanted:
        pattern = re.compile("^" + ".+".join(re.escape(p) for p in wanted.split("*")) + "$")
        matching = [t for t in available if pattern.match(t)]
        if not matching:
            return None
        parsed = _parsed(matching)
        return max(parsed)[1] if parsed else max(matching)
    return wanted if wanted in available else None
