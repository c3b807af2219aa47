"""External Service Consumers: systems calling jobs with their own token (staff only)."""

from __future__ import annotations

from dataclasses import dataclass

from loguru import logger
from sqlalchemy import select

from racetrack.core.errors import AlreadyExistsError, InvalidInputError
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import AuthSubject, Esc
from racetrack.lifecycle.services.auth import AuthService, Subject, SubjectKind
from racetrack.lifecycle.services.permissions import check_staff


@dataclass(frozen=True)
class EscInfo:
    id: str
    name: str
    token: str | None = None  # only when just created


class EscService:
    def __init__(self, db: Database, auth: AuthService) -> None:
        self._db = db
        self._auth = auth

    def create(self, caller: Subject, name: str, esc_id: str | None = None) -> EscInfo:
        """A new ESC with its auth subject and token (shown once here); no grants (§6).

        Raises:
            InvalidInputError: empty name.
            AlreadyExistsError: an ESC with that id exists.
        """
        check_staff(caller)
        name = name.strip()
        if not name:
            raise InvalidInputError("ESC name cannot be empty")
        with self._db.session() as session:
            if esc_id and session.get(Esc, esc_id) is not None:
                raise AlreadyExistsError(f"ESC {esc_id} already exists")
            esc = Esc(name=name) if not esc_id else Esc(id=esc_id, name=name)
            session.add(esc)
            session.flush()
            subject = AuthSubject(esc_id=esc.id)
            session.add(subject)
            session.flush()
            token = self._auth.issue_token(session, subject, SubjectKind.ESC)
            info = EscInfo(esc.id, esc.name, token)
        logger.info("ESC created", esc=info.id, name=info.name, by=caller.username)
        return info

    def list(self, caller: Subject) -> list[EscInfo]:
        check_staff(caller)
        with self._db.session(readonly=True) as session:
            return [
                EscInfo(esc.id, esc.name) for esc in session.scalars(select(Esc).order_by(Esc.name, Esc.id))
            ]
