"""Reading replica log files: the last lines of several files merged, and following them.

Each replica's stdout and stderr go to ``replica-<i>.log``. With several replicas, lines are
prefixed ``[replica <i>] `` and the files' tails are interleaved line by line (the files carry
no common clock, so this is an approximation of the real order).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

_BLOCK = 64 * 1024


def tail_lines(path: Path, count: int, end: int | None = None) -> list[str]:
    """The last ``count`` lines (all with 0) of ``path`` up to byte ``end``, without newlines."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END) if end is None else end
            if count <= 0:
                f.seek(0)
                data = f.read(size)
            else:
                data = b""
                position = size
                while position > 0 and data.count(b"\n") <= count:
                    step = min(_BLOCK, position)
                    position -= step
                    f.seek(position)
                    data = f.read(step) + data
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[-count:] if count > 0 else lines


def label(index: int, line: str, prefixed: bool) -> str:
    return f"[replica {index}] {line}" if prefixed else line


def interleave(per_replica: Sequence[tuple[int, list[str]]], tail: int, prefixed: bool) -> list[str]:
    """Lines of all replicas, alternating between files, aligned at their ends; the last ``tail``."""
    longest = max((len(lines) for _, lines in per_replica), default=0)
    merged: list[str] = []
    for row in range(longest):
        for index, lines in per_replica:
            offset = row - (longest - len(lines))
            if offset >= 0:
                merged.append(label(index, lines[offset], prefixed))
    return merged[-tail:] if tail > 0 else merged


class LogFollower:
    """Yields new complete lines appended to a changing set of files."""

    def __init__(self) -> None:
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, bytes] = {}

    def start_at(self, path: Path, offset: int) -> None:
        self._offsets[path] = offset

    def read_new(self, files: Sequence[tuple[int, Path]], prefixed: bool) -> list[str]:
        lines: list[str] = []
        for index, path in files:
            offset = self._offsets.get(path, 0)  # a file that appeared later: from its start
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if size < offset:  # truncated or rotated
                offset = 0
                self._partial.pop(path, None)
            if size == offset:
                self._offsets[path] = offset
                continue
            with path.open("rb") as f:
                f.seek(offset)
                data = self._partial.pop(path, b"") + f.read(size - offset)
            self._offsets[path] = size
            complete, _, rest = data.rpartition(b"\n")
            if rest:
                self._partial[path] = rest
            if complete or data.endswith(b"\n"):
                for line in complete.decode("utf-8", errors="replace").split("\n"):
                    lines.append(label(index, line, prefixed))
        return lines


def follow(
    files: Callable[[], tuple[Sequence[tuple[int, Path]], bool] | None],
    tail: int,
    stop: Callable[[], bool],
    poll_interval: float = 0.2,
    sleep: Callable[[float], None] | None = None,
) -> Iterator[str]:
    """Yield the last ``tail`` lines of ``files()``, then new lines until ``stop()`` or the job is gone.

    ``files()`` returns the current (replica index, path) pairs and whether to prefix lines,
    or None once the job no longer exists.
    """
    wait = sleep or time.sleep
    current = files()
    if current is None:
        return
    paths, prefixed = current
    follower = LogFollower()
    per_replica = []
    for index, path in paths:
        try:
            end = path.stat().st_size
        except FileNotFoundError:
            end = 0
        follower.start_at(path, end)
        per_replica.append((index, tail_lines(path, tail, end) if tail > 0 else []))
    yield from interleave(per_replica, tail, prefixed) if tail > 0 else []
    while not stop():
        wait(poll_interval)
        if stop():
            return
        current = files()
        if current is None:
            return
        paths, prefixed = current
        yield from follower.read_new(paths, prefixed)
