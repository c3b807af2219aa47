"""Tokens and authentication: who is calling.

A token is random text with a prefix naming its subject type (``rt_u_`` user, ``rt_e_`` ESC,
``rt_f_`` job family, ``rt_i_`` internal service) and 43 characters (32 bytes) of randomness.
The database keeps its SHA-256 hash (lookup) and a Fernet-encrypted copy (so its owner can see
it again); neither lets a database dump call anything. The internal token of Racetrack's own
components (PUB) is handed to the app factory and never stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from loguru import logger
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from racetrack.core.errors import AuthenticationError, InvalidInputError
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import (
    AuthResourcePermission,
    AuthSubject,
    AuthToken,
    Esc,
    Job,
    JobFamily,
    User,
    now,
)
from racetrack.lifecycle.services.crypto import Cipher

AUTH_HEADER = "X-Racetrack-Auth"
# Read in this order; the legacy ones are still accepted (auth-and-permissions.md §3).
AUTH_HEADERS = (
    AUTH_HEADER,
    "X-Racetrack-User-Auth",
    "X-Racetrack-Fatman-Auth",
    "X-Racetrack-Job-Auth",
    "X-Racetrack-Esc-Auth",
)
_LAST_USE_RESOLUTION = timedelta(seconds=60)
# What a user gets on all jobs when its subject is created (auth-and-permissions.md §6); the
# scopes are named here, not with permissions.Scope, because that module builds on this one.
NEW_USER_SCOPES = ("read_job", "call_job", "deploy_new_family", "deploy_job")


class SubjectKind(StrEnum):
    USER = "user"
    ESC = "esc"
    JOB_FAMILY = "job_family"
    INTERNAL = "internal"
    ANONYMOUS = "anonymous"  # no token while auth_required is off


TOKEN_PREFIXES = {
    SubjectKind.USER: "rt_u_",
    SubjectKind.ESC: "rt_e_",
    SubjectKind.JOB_FAMILY: "rt_f_",
    SubjectKind.INTERNAL: "rt_i_",
}


@dataclass(frozen=True)
class Grant:
    """One permission row, with its filters resolved to names."""

    scope: str
    family_name: str | None = None
    job_name: str | None = None
    job_version: str | None = None
    endpoint: str | None = None


@dataclass(frozen=True)
class Subject:
    """An authenticated caller."""

    kind: SubjectKind
    name: str  # username, ESC name, family name or service name
    subject_id: str | None = None  # AuthSubject.id (None for internal and anonymous)
    user_id: str | None = None
    is_staff: bool = False
    scopes: frozenset[str] = frozenset()  # internal subjects: what the token allows
    grants: tuple[Grant, ...] = ()

    @property
    def description(self) -> str | None:
        """How the caller is shown to jobs and in messages: ``User admin``, ``ESC x``..."""
        return {
            SubjectKind.USER: f"User {self.name}",
            SubjectKind.ESC: f"ESC {self.name}",
            SubjectKind.JOB_FAMILY: f"Job family {self.name}",
            SubjectKind.INTERNAL: f"Internal {self.name}",
            SubjectKind.ANONYMOUS: None,
        }[self.kind]

    @property
    def username(self) -> str | None:
        """The name recorded as ``deployed_by`` and in audit events."""
        return None if self.kind == SubjectKind.ANONYMOUS else self.name


ANONYMOUS = Subject(SubjectKind.ANONYMOUS, "anonymous")


def generate_token(kind: SubjectKind) -> str:
    return TOKEN_PREFIXES[kind] + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def read_token(headers: Mapping[str, str]) -> str | None:
    """The token of a request: ``X-Racetrack-Auth`` first, then the legacy headers."""
    for name in AUTH_HEADERS:
        value = headers.get(name)
        if value and value.strip():
            return value.strip()
    return None


class AuthService:
    """Issues, stores and checks tokens."""

    def __init__(self, db: Database, cipher: Cipher, internal_token: str | None = None) -> None:
        self._db = db
        self._cipher = cipher
        self._internal_token_hash = hash_token(internal_token) if internal_token else None

    # -- issuing -------------------------------------------------------------------------------

    def issue_token(
        self, session: Session, subject: AuthSubject, kind: SubjectKind, token: str | None = None
    ) -> str:
        """Create a new active token for ``subject`` (``token``, or a random one) and return its text."""
        token = token or generate_token(kind)
        session.add(
            AuthToken(
                subject_id=subject.id,
                token_hash=hash_token(token),
                token_encrypted=self._cipher.encrypt_text(token),
                hint=token[:9],
            )
        )
        session.flush()
        return token

    def regenerate_token(self, session: Session, subject: AuthSubject, kind: SubjectKind) -> str:
        """Replace every token of ``subject`` with a new one and return its text.

        The old tokens are deleted, so from this commit on they are unknown ("wrong credentials:
        token is unknown"), as if the stored token string had been replaced. The subject row is
        locked first so two regenerations at once leave exactly one token.
        """
        session.scalars(select(AuthSubject.id).where(AuthSubject.id == subject.id).with_for_update()).first()
        session.execute(delete(AuthToken).where(AuthToken.subject_id == subject.id))
        return self.issue_token(session, subject, kind)

    def current_token(self, session: Session, subject: AuthSubject, kind: SubjectKind) -> str:
        """The newest active token of ``subject`` in clear text, issuing one when it has none."""
        row = session.scalars(
            select(AuthToken)
            .where(AuthToken.subject_id == subject.id, AuthToken.active.is_(True))
            .order_by(AuthToken.create_time.desc())
            .limit(1)
        ).first()
        if row is None or (row.expiry_time is not None and row.expiry_time <= now()):
            return self.issue_token(session, subject, kind)
        return self._cipher.decrypt_text(row.token_encrypted)

    def user_subject(self, session: Session, user: User) -> AuthSubject:
        """The user's auth subject; a new one comes with the default grants of a new user."""
        return self._get_or_create_subject(session, user_id=user.id)

    def family_subject(self, session: Session, family: JobFamily) -> AuthSubject:
        return self._get_or_create_subject(session, job_family_id=family.id)

    def _get_or_create_subject(
        self, session: Session, *, user_id: str | None = None, job_family_id: str | None = None
    ) -> AuthSubject:
        query = select(AuthSubject)
        query = (
            query.where(AuthSubject.user_id == user_id)
            if user_id
            else query.where(AuthSubject.job_family_id == job_family_id)
        )
        subject = session.scalars(query).first()
        if subject is None:
            subject = AuthSubject(user_id=user_id, job_family_id=job_family_id)
            session.add(subject)
            session.flush()
            if user_id:  # a new user: the default grants, on all jobs
                for scope in NEW_USER_SCOPES:
                    session.add(AuthResourcePermission(subject_id=subject.id, scope=scope))
                session.flush()
        return subject

    # -- checking ------------------------------------------------------------------------------

    def authenticate(self, token: str | None) -> Subject:
        """The subject a token belongs to.

        Raises:
            AuthenticationError: no token, an unknown one, or a revoked/expired/disabled subject.
        """
        if not token:
            raise AuthenticationError(f"auth token not found in a header {AUTH_HEADER}")
        presented = hash_token(token)
        if self._internal_token_hash is not None and hmac.compare_digest(
            presented, self._internal_token_hash
        ):
            return Subject(SubjectKind.INTERNAL, "racetrack", scopes=frozenset({"full_access"}))
        with self._db.session(readonly=True) as session:
            found = session.execute(
                select(AuthToken, AuthSubject)
                .join(AuthSubject, AuthSubject.id == AuthToken.subject_id)
                .where(AuthToken.token_hash == presented)
            ).first()
            if found is None or not hmac.compare_digest(found[0].token_hash, presented):
                raise AuthenticationError("wrong credentials: token is unknown")
            token_row, subject_row = found
            moment = now()
            if not token_row.active or not subject_row.active:
                raise AuthenticationError("subject access has been revoked")
            for expiry in (token_row.expiry_time, subject_row.expiry_time):
                if expiry is not None and expiry <= moment:
                    raise AuthenticationError("subject access has expired")
            subject = self._load_subject(session, subject_row)
            last_use = token_row.last_use_time
            token_id = token_row.id
        if not token.startswith("rt_") and subject.kind == SubjectKind.ESC:
            logger.warning("a legacy (pre-2.0) ESC token was used; regenerate it", esc=subject.name)
        if last_use is None or moment - last_use > _LAST_USE_RESOLUTION:
            self._touch(token_id, moment)
        return subject

    def subject_by_id(self, session: Session, subject_id: str) -> Subject:
        """A stored subject as it is now (e.g. the deployer, checked again at provisioning)."""
        row = session.get(AuthSubject, subject_id)
        if row is None:
            raise AuthenticationError("the deploying subject no longer exists")
        if not row.active:
            raise AuthenticationError("subject access has been revoked")
        return self._load_subject(session, row)

    def _load_subject(self, session: Session, row: AuthSubject) -> Subject:
        grants = self._load_grants(session, row.id)
        if row.user_id is not None:
            user = session.get(User, row.user_id)
            if user is None:
                raise AuthenticationError("wrong credentials: token is unknown")
            if not user.is_active:
                raise AuthenticationError(f"user account is disabled: {user.username}")
            return Subject(
                SubjectKind.USER,
                user.username,
                subject_id=row.id,
                user_id=user.id,
                is_staff=user.is_staff,
                grants=grants,
            )
        if row.esc_id is not None:
            esc = session.get(Esc, row.esc_id)
            name = esc.name if esc is not None else row.esc_id
            return Subject(SubjectKind.ESC, name, subject_id=row.id, grants=grants)
        family = session.get(JobFamily, row.job_family_id)
        if family is None:
            raise AuthenticationError("wrong credentials: token is unknown")
        return Subject(SubjectKind.JOB_FAMILY, family.name, subject_id=row.id, grants=grants)

    @staticmethod
    def _load_grants(session: Session, subject_id: str) -> tuple[Grant, ...]:
        rows = session.execute(
            select(
                AuthResourcePermission.scope,
                JobFamily.name,
                Job.name,
                Job.version,
                AuthResourcePermission.endpoint,
            )
            .outerjoin(JobFamily, JobFamily.id == AuthResourcePermission.job_family_id)
            .outerjoin(Job, Job.id == AuthResourcePermission.job_id)
            .where(AuthResourcePermission.subject_id == subject_id)
        ).all()
        return tuple(Grant(*row) for row in rows)

    def _touch(self, token_id: str, moment: datetime) -> None:
        try:
            with self._db.session() as session:
                session.execute(
                    update(AuthToken).where(AuthToken.id == token_id).values(last_use_time=moment)
                )
        except Exception as e:  # bookkeeping only: never fail a request for it
            logger.warning("recording token use failed", error=str(e))


def parse_legacy_esc_token(token: str) -> str:
    """The ``esc-id`` of a pre-2.0 ESC token (base64 of ``{"esc-id": ..., "api-key": ...}``).

    Raises:
        InvalidInputError: the text is not such a token.
    """
    try:
        data = json.loads(base64.b64decode(token.strip(), validate=True))
    except (ValueError, binascii.Error):
        data = None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("esc-id"), str)
        or not isinstance(data.get("api-key"), str)
        or not data["esc-id"]
        or not data["api-key"]
    ):
        raise InvalidInputError(
            'legacy_token must be a pre-2.0 ESC token: base64 of {"esc-id": "...", "api-key": "..."}'
        )
    esc_id: str = data["esc-id"]
    return esc_id
