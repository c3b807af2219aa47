"""Racetrack: deploy a Python class or any HTTP server as a versioned, authenticated REST service."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Read lazily: importlib.metadata costs ~30 ms, paid only by code that asks for the version.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("racetrack")
        except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
            return "0.0.0"
    raise AttributeError(f"module 'racetrack' has no attribute {name!r}")
