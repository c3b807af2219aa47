"""Lifecycle, the control plane: API, database, deployment worker, status sync."""

from __future__ import annotations

from racetrack.lifecycle.app import create_app
from racetrack.lifecycle.settings import LifecycleSettings

__all__ = ["LifecycleSettings", "create_app"]
