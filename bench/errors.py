"""The one error of the harness: a suite that cannot produce an honest figure stops with it."""

from __future__ import annotations


class BenchError(Exception):
    """A benchmark could not run; the message says what failed and what to check."""
