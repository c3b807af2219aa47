"""External Service Consumers: systems calling jobs with their own token (staff only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from loguru import logger
from sqlalchemy import select
from sqlalchemy.orm import Session

from racetrack.core.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import AuthSubject, Esc
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.auth import AuthService, Subject, SubjectKind, parse_legacy_esc_token
from racetrack.lifecycle.services.permissions import check_staff


@dataclass(frozen=True)
class EscInfo:
    id: str
    name: str
    token: str | None = None  # only when just created
    active: bool = True
    expiry_time: int | None = None  # unix seconds; None: never expires


_UNCHANGED = object()


class EscService:
    def __init__(self, db: Database, auth: AuthService) -> None:
        self._db = db
        self._auth = auth

    def create(
        self, caller: Subject, name: str, esc_id: str | None = None, legacy_token: str | None = None
    ) -> EscInfo:
        """A new ESC with its auth subject and token (shown once here); no grants (§6).

        ``legacy_token`` imports a pre-2.0 token (base64 of ``{"esc-id", "api-key"}``) as the ESC's
        token, so callers migrated from an older installation keep working; the ESC takes the
        token's id.

        Raises:
            InvalidInputError: empty name, a malformed legacy token, or one naming another id.
            AlreadyExistsError: an ESC with that id exists.
        """
        check_staff(caller)
        name = name.strip()
        if not name:
            raise InvalidInputError("ESC name cannot be empty")
        if legacy_token is not None:
            legacy_id = parse_legacy_esc_token(legacy_token)
            if esc_id and esc_id != legacy_id:
                raise InvalidInputError(f"the legacy token belongs to ESC {legacy_id}, not {esc_id}")
            esc_id, legacy_token = legacy_id, legacy_token.strip()
        with self._db.session() as session:
            if esc_id and session.get(Esc, esc_id) is not None:
                raise AlreadyExistsError(f"ESC {esc_id} already exists")
            esc = Esc(name=name) if not esc_id else Esc(id=esc_id, name=name)
            session.add(esc)
            session.flush()
            subject = AuthSubject(esc_id=esc.id)
            session.add(subject)
            session.flush()
            token = self._auth.issue_token(session, subject, SubjectKind.ESC, legacy_token)
            info = EscInfo(esc.id, esc.name, token)
            audit.record(
                session,
                audit.AuditEvent.ESC_CREATED,
                executor=caller.username,
                properties={"esc_id": esc.id, "esc_name": esc.name},
            )
        logger.info("ESC created", esc=info.id, name=info.name, by=caller.username)
        return info

    def list(self, caller: Subject) -> list[EscInfo]:
        check_staff(caller)
        with self._db.session(readonly=True) as session:
            rows = session.execute(
                select(Esc, AuthSubject)
                .outerjoin(AuthSubject, AuthSubject.esc_id == Esc.id)
                .order_by(Esc.name, Esc.id)
            ).all()
            return [
                EscInfo(
                    esc.id,
                    esc.name,
                    None,
                    subject.active if subject is not None else False,
                    _to_timestamp(subject.expiry_time) if subject is not None else None,
                )
                for esc, subject in rows
            ]

    def token(self, caller: Subject, esc_id: str) -> str:
        """The ESC's current token in clear text (a new one when it has none); staff only.

        Raises:
            NotFoundError: no such ESC.
        """
        check_staff(caller)
        with self._db.session() as session:
            subject = self._subject(session, esc_id)
            token = self._auth.current_token(session, subject, SubjectKind.ESC)
        logger.info("ESC token read", esc=esc_id, by=caller.username)
        return token

    def update(
        self,
        caller: Subject,
        esc_id: str,
        *,
        active: bool | None = None,
        expiry_time: int | None | object = _UNCHANGED,
    ) -> EscInfo:
        """Revoke/restore an ESC's access or set when it expires (``None``: never); staff only.

        Raises:
            NotFoundError: no such ESC.
            InvalidInputError: a negative or out-of-range expiry time.
        """
        check_staff(caller)
        with self._db.session() as session:
            subject = self._subject(session, esc_id)
            changes: list[str] = []
            if active is not None and active != subject.active:
                subject.active = active
                changes.append("activated" if active else "deactivated")
            if expiry_time is not _UNCHANGED:
                expiry = _from_timestamp(expiry_time)
                if _to_timestamp(expiry) != _to_timestamp(subject.expiry_time):
                    subject.expiry_time = expiry
                    changes.append(
                        f"set to expire at {expiry.strftime('%Y-%m-%d %H:%M:%S')} UTC"
                        if expiry
                        else "set never to expire"
                    )
            session.flush()
            esc = session.get(Esc, esc_id)
            assert esc is not None
            info = EscInfo(esc.id, esc.name, None, subject.active, _to_timestamp(subject.expiry_time))
            if changes:
                audit.record(
                    session,
                    audit.AuditEvent.ESC_CHANGED,
                    executor=caller.username,
                    properties={"esc_id": esc.id, "esc_name": esc.name, "changes": changes},
                )
        logger.info(
            "ESC access changed",
            esc=esc_id,
            active=info.active,
            expiry_time=info.expiry_time,
            by=caller.username,
        )
        return info

    @staticmethod
    def _subject(session: Session, esc_id: str) -> AuthSubject:
        if session.get(Esc, esc_id) is None:
            raise NotFoundError(f"ESC {esc_id} does not exist")
        subject = session.scalars(
            select(AuthSubject).where(AuthSubject.esc_id == esc_id).with_for_update()
        ).first()
        if subject is None:  # made before subjects came with ESCs
            subject = AuthSubject(esc_id=esc_id)
            session.add(subject)
            session.flush()
        return subject


def _from_timestamp(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInputError("expiry_time must be a non-negative unix timestamp (seconds) or null")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInputError(f"expiry_time out of range: {value}") from None


def _to_timestamp(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # stored naive by some backends: always UTC
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
