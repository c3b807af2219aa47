"""Fixtures: the Lifecycle app (with the Dashboard mounted) on both databases, shared with
the Lifecycle tests (helpers are in ``dashboard_support.py``)."""

from __future__ import annotations

from tests.integration.lifecycle.conftest import (  # noqa: F401  (fixtures)
    _only_given_plugins,
    app,
    builder,
    client,
    db_url,
    make_app,
    make_settings,
    plugin,
    postgres_database,
    target,
)
