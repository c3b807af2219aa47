"""Which files of a directory a build context or plugin bundle takes, by ignore patterns.

Files matching the ignore file (``.gitignore`` for a job, ``.racetrackignore`` for a plugin)
are left out, then always the defaults (``*.zip``, ``.git``, ``*.pyc``, ``__pycache__``,
``.gitignore``, ``/.racetrackignore``, ``/plugin-manifest.yaml``). Pattern syntax, evaluated in
order, last match wins:

- shell wildcards (``*``, ``?``, ``[abc]``) per path segment, ``**`` for any number of segments;
- a single-segment pattern (``build``) matches that name at any depth;
- a leading ``/`` anchors to the directory (``/dist``); otherwise a multi-segment pattern
  (``docs/build``) matches at any depth;
- a trailing ``/`` matches directories only;
- a matched directory takes everything inside with it;
- ``-pattern`` excludes (same as no prefix), ``+pattern`` and ``!pattern`` re-include.

Symbolic links are skipped (the server refuses links in uploads).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DEFAULT_IGNORE_PATTERNS = (
    "*.zip",
    ".git",
    "*.pyc",
    "__pycache__",
    ".gitignore",
    "/.racetrackignore",
    "/plugin-manifest.yaml",
)


@dataclass(frozen=True)
class _Rule:
    parts: tuple[str, ...]
    include: bool
    anchored: bool
    dir_only: bool
    default: bool


def _parse_rule(pattern: str, default: bool = False) -> _Rule | None:
    include = False
    if pattern.startswith("\\"):  # "\#file", "\!file": a literal first character
        pattern = pattern[1:]
    elif pattern[:1] in ("+", "!"):
        include, pattern = True, pattern[1:]
    elif pattern.startswith("-"):
        pattern = pattern[1:]
    dir_only = pattern.endswith("/")
    anchored = pattern.startswith("/")
    parts = tuple(part for part in pattern.strip("/").split("/") if part)
    if not parts:
        return None
    return _Rule(parts=parts, include=include, anchored=anchored, dir_only=dir_only, default=default)


def _match_parts(path: Sequence[str], pattern: Sequence[str]) -> bool:
    """Whether all of ``path`` matches all of ``pattern`` (``**`` = any number of segments)."""
    if not pattern:
        return not path
    if pattern[0] == "**":
        return any(_match_parts(path[skip:], pattern[1:]) for skip in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], pattern[0]) and _match_parts(path[1:], pattern[1:])


def _rule_matches(rule: _Rule, parts: Sequence[str], is_dir: bool) -> bool:
    # The rule matches the path itself or any of its ancestor directories.
    for length in range(1, len(parts) + 1):
        if rule.dir_only and length == len(parts) and not is_dir:
            continue
        candidate = parts[:length]
        if rule.anchored:
            starts: Iterable[int] = (0,)
        elif "**" in rule.parts:
            starts = range(len(candidate))
        else:
            starts = (len(candidate) - len(rule.parts),) if len(candidate) >= len(rule.parts) else ()
        if any(_match_parts(candidate[start:], rule.parts) for start in starts):
            return True
    return False


class FileMatcher:
    """Decides which paths (relative to the job directory) belong to the build context."""

    def __init__(self, patterns: Iterable[str] = (), apply_defaults: bool = True) -> None:
        rules = [_parse_rule(p) for p in patterns]
        if apply_defaults:
            rules += [_parse_rule(p, default=True) for p in DEFAULT_IGNORE_PATTERNS]
        self.rules = [rule for rule in rules if rule is not None]
        self._has_includes = any(rule.include for rule in self.rules)

    @classmethod
    def from_ignore_file(cls, path: Path) -> FileMatcher:
        """Patterns from a ``.gitignore``-style file (blank lines and ``#`` comments skipped)."""
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            lines = []
        patterns = [line.strip() for line in lines]
        return cls(p for p in patterns if p and not p.startswith("#"))

    def included(self, relative: str, is_dir: bool = False) -> bool:
        parts = PurePosixPath(relative).parts
        result = True
        for rule in self.rules:
            if _rule_matches(rule, parts, is_dir):
                result = rule.include
        return result

    def prunes(self, relative: str) -> bool:
        """Whether a whole directory can be skipped without looking inside."""
        parts = PurePosixPath(relative).parts
        if any(rule.default and _rule_matches(rule, parts, True) for rule in self.rules):
            return True  # defaults come last: nothing can re-include below them
        return not self._has_includes and not self.included(relative, is_dir=True)


def collect_files(
    job_dir: Path, matcher: FileMatcher, on_skip: Callable[[str], None] | None = None
) -> list[str]:
    """Relative POSIX paths of the regular files to pack, sorted."""
    found: list[str] = []
    for root, dirs, files in os.walk(job_dir):
        rel_root = Path(root).relative_to(job_dir)
        kept_dirs = []
        for name in sorted(dirs):
            relative = (rel_root / name).as_posix()
            if os.path.islink(os.path.join(root, name)):
                if matcher.included(relative, is_dir=True) and on_skip:
                    on_skip(relative)
                continue
            if not matcher.prunes(relative):
                kept_dirs.append(name)
        dirs[:] = kept_dirs
        for name in files:
            relative = (rel_root / name).as_posix()
            if not matcher.included(relative):
                continue
            full = os.path.join(root, name)
            if os.path.islink(full) or not os.path.isfile(full):
                if on_skip:
                    on_skip(relative)
                continue
            found.append(relative)
    return sorted(found)
