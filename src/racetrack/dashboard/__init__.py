"""The Dashboard: server-rendered pages (Jinja2 + htmx) on the Lifecycle services.

See ``docs/dashboard.md`` ("Writing a page") for the API page modules use.
"""

from __future__ import annotations

from racetrack.dashboard.app import create_dashboard_app, create_standalone_app

__all__ = ["create_dashboard_app", "create_standalone_app"]
