"""The ``local`` infrastructure target: jobs as supervised processes on loopback ports.

Registered through the ``racetrack`` entry point group like any other plugin; its settings
are the ``local`` plugin's settings (see :class:`LocalSettings` and docs/infrastructure.md).
"""

from __future__ import annotations

from collections.abc import Callable

from racetrack.infra.local.settings import LocalSettings
from racetrack.infra.local.target import LocalTarget
from racetrack.plugins.hookspecs import hookimpl
from racetrack.plugins.interfaces import InfrastructureTarget, PluginContext

__all__ = ["LocalSettings", "LocalTarget", "racetrack_infrastructure_targets"]


@hookimpl
def racetrack_infrastructure_targets(
    register: Callable[[InfrastructureTarget], None], context: PluginContext
) -> None:
    """Register the ``local`` target, storing its state under the plugin's data directory."""
    register(LocalTarget(context))
