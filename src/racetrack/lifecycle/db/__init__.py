"""Persistence: typed models, sessions for SQLite and PostgreSQL, Alembic migrations."""

from racetrack.lifecycle.db.engine import Database

__all__ = ["Database"]
