"""Racetrack: deploy a Python class or any HTTP server as a versioned, authenticated REST service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("racetrack")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
