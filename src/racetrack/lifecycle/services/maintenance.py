"""Maintenance mode: a runtime setting that blocks every change to jobs."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from racetrack.core.errors import MaintenanceModeError
from racetrack.lifecycle.db.models import Setting

MAINTENANCE_SETTING = "maintenance_mode"
MAINTENANCE_MESSAGE = "Racetrack is currently in maintenance mode. Please try again later."


def is_maintenance_mode(session: Session) -> bool:
    row = session.get(Setting, MAINTENANCE_SETTING)
    return row is not None and row.value is not None and json.loads(row.value) is True


def ensure_not_in_maintenance(session: Session) -> None:
    if is_maintenance_mode(session):
        raise MaintenanceModeError(MAINTENANCE_MESSAGE)


def set_maintenance_mode(session: Session, enabled: bool) -> None:
    row = session.get(Setting, MAINTENANCE_SETTING)
    if row is None:
        session.add(Setting(name=MAINTENANCE_SETTING, value=json.dumps(enabled)))
    else:
        row.value = json.dumps(enabled)
