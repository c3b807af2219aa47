"""The CLI's output layer: log lines, results, tables.

Two channels, decided by whether stdout is a terminal (the "TTY rule"):

- **In a terminal** log lines ``[HH:MM:SS] INFO message`` go to stdout next to the results.
- **When stdout is piped** INFO lines are dropped, so stdout carries only data
  (``racetrack list | cat`` prints the bare table); results that confirm an action
  (``Job "x" has been deployed...``) are printed as plain lines.

Warnings and errors always go to stderr, so they are never lost and never pollute piped data.
``-v/--verbose`` adds DEBUG lines (to stdout in a terminal, to stderr when piped).
Nothing here imports rich: plain ANSI colours keep ``racetrack --help`` fast.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

_COLOURS = {"DEBUG": "32", "INFO": "34", "WARN": "33", "ERROR": "31"}


def is_tty(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def stdout_is_tty() -> bool:
    """Whether the current stdout is a terminal (tests may monkeypatch this)."""
    return is_tty(sys.stdout)


def _colour_enabled(stream: TextIO) -> bool:
    return is_tty(stream) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


class Output:
    """Writes log lines and results following the TTY rule (see the module docstring).

    Streams are looked up at write time (``sys.stdout``), so test runners that swap them work.
    """

    def __init__(self, *, verbose: bool = False) -> None:
        self.verbose = verbose
        self._quiet = False

    @property
    def tty(self) -> bool:
        return stdout_is_tty()

    def quiet(self) -> None:
        """From now on log only warnings and errors (for commands whose stdout is a script)."""
        self._quiet = True

    # -- log lines ------------------------------------------------------------------

    def format_line(self, level: str, message: str, stream: TextIO) -> str:
        stamp = time.strftime("%H:%M:%S")
        if _colour_enabled(stream):
            return f"\x1b[2m[{stamp}]\x1b[0m \x1b[{_COLOURS[level]}m{level}\x1b[0m {message}"
        return f"[{stamp}] {level} {message}"

    def _log(self, level: str, message: str, stream: TextIO) -> None:
        stream.write(self.format_line(level, message, stream) + "\n")
        stream.flush()

    def debug(self, message: str) -> None:
        if self.verbose:
            self._log("DEBUG", message, sys.stdout if (self.tty and not self._quiet) else sys.stderr)

    def info(self, message: str) -> None:
        """A log line, shown only when stdout is a terminal."""
        if self.tty and not self._quiet:
            self._log("INFO", message, sys.stdout)

    def warning(self, message: str) -> None:
        self._log("WARN", message, sys.stderr)

    def error(self, message: str) -> None:
        self._log("ERROR", message, sys.stderr)

    # -- results --------------------------------------------------------------------

    def notice(self, message: str) -> None:
        """The outcome of an action: a log line in a terminal, a plain line when piped."""
        if self._quiet:
            return
        if self.tty:
            self._log("INFO", message, sys.stdout)
        else:
            self.data(message)

    def data(self, text: str) -> None:
        """Print a result as is (always, whatever the TTY rule)."""
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]], gap: int = 3) -> str:
    """A plain table: columns padded to their widest cell, separated by ``gap`` spaces."""
    widths = [len(title) for title in header]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    lines = []
    for row in [list(header), *rows]:
        cells = [cell.ljust(widths[index]) for index, cell in enumerate(row)]
        lines.append((" " * gap).join(cells).rstrip())
    return "\n".join(lines)
