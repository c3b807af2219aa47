"""User accounts: the first admin, logging in (rate-limited), changing passwords."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from loguru import logger
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from racetrack.core.errors import (
    AlreadyExistsError,
    AuthenticationError,
    InvalidInputError,
)
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import AuthResourcePermission, AuthToken, Setting, User, now
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.auth import AuthService, Subject, SubjectKind
from racetrack.lifecycle.services.login_limits import LoginRateLimiter
from racetrack.lifecycle.services.permissions import Scope

ADMIN_USERNAME = "admin"
MAX_USERNAME_LENGTH = 150
# An e-mail address in the characters the Dashboard allows: letters, digits and @ . + - _
_EMAIL_USERNAME = re.compile(r"[A-Za-z0-9.+_-]+@[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
NOT_ACTIVATED = "account not activated yet: ask a staff member"
ADMIN_CREATED_SETTING = "admin_account_created"
MIN_PASSWORD_LENGTH = 8
_COMMON_PASSWORDS = frozenset(
    """password password1 password123 passw0rd 12345678 123456789 1234567890 qwertyui qwerty123
    qwertyuiop iloveyou sunshine princess football baseball welcome welcome1 admin123 administrator
    letmein1 trustno1 monkey123 dragon123 abc12345 abcd1234 aa123456 11111111 00000000 88888888
    changeme changeme1 racetrack secret123 master123 starwars whatever superman""".split()
)


@dataclass(frozen=True)
class LoginResult:
    username: str
    token: str
    is_staff: bool


def validate_username(username: str) -> None:
    """A new username must be an e-mail address (≤150 characters: letters, digits, @ . + - _)."""
    if not username or len(username) > MAX_USERNAME_LENGTH or _EMAIL_USERNAME.fullmatch(username) is None:
        raise InvalidInputError(
            "You have to pass email as username (at most "
            f"{MAX_USERNAME_LENGTH} characters: letters, digits and @ . + - _)"
        )


def validate_password(password: str, username: str) -> None:
    """Refuse weak passwords with the reason, as a 400 (never quoting the password)."""
    if not password:
        raise InvalidInputError("Password cannot be empty.")
    problems = []
    if password.lower() == username.lower():
        problems.append("The password cannot be the same as the username.")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"This password is too short. It must contain at least {MIN_PASSWORD_LENGTH} characters."
        )
    if password.isdigit():
        problems.append("This password is entirely numeric.")
    if password.lower() in _COMMON_PASSWORDS:
        problems.append("This password is too common.")
    local_part = username.split("@")[0].lower()
    if (
        password.lower() != username.lower()
        and len(local_part) >= 3
        and (local_part in password.lower() or password.lower() in username.lower())
    ):
        problems.append("The password is too similar to the username.")
    if problems:
        raise InvalidInputError("Invalid password: " + " ".join(problems))


class UserService:
    def __init__(self, db: Database, auth: AuthService, limiter: LoginRateLimiter) -> None:
        self._db = db
        self._auth = auth
        self._limiter = limiter
        self._hasher = PasswordHasher()

    def ensure_first_admin(self, password: str | None) -> str | None:
        """Create the ``admin`` account at the very first start; never again.

        Returns the generated password when one was generated (the caller shows it once).
        """
        with self._db.session() as session:
            if session.get(Setting, ADMIN_CREATED_SETTING) is not None:
                return None
        generated = None
        if not password:
            generated = password = secrets.token_urlsafe(12)
        try:
            with self._db.session() as session:
                self._db.lock(session, ADMIN_CREATED_SETTING)
                if session.get(Setting, ADMIN_CREATED_SETTING) is not None:
                    return None
                session.add(Setting(name=ADMIN_CREATED_SETTING, value=json.dumps(True)))
                if session.scalars(select(User).where(User.username == ADMIN_USERNAME)).first() is None:
                    user = User(
                        username=ADMIN_USERNAME,
                        password_hash=self._hasher.hash(password),
                        is_active=True,
                        is_staff=True,
                        is_superuser=True,
                    )
                    session.add(user)
                    session.flush()
                    subject = self._auth.user_subject(session, user)
                    self._auth.issue_token(session, subject, SubjectKind.USER)
                    session.add(AuthResourcePermission(subject_id=subject.id, scope=Scope.FULL_ACCESS))
        except IntegrityError:  # another process created it at the same moment
            return None
        logger.info("admin account created", username=ADMIN_USERNAME)
        return generated

    def create_user(
        self,
        session: Session,
        username: str,
        password: str,
        *,
        is_active: bool = True,
        is_staff: bool = False,
    ) -> User:
        user = User(
            username=username,
            password_hash=self._hasher.hash(password),
            is_active=is_active,
            is_staff=is_staff,
        )
        session.add(user)
        session.flush()
        self._auth.issue_token(session, self._auth.user_subject(session, user), SubjectKind.USER)
        return user

    def register(self, username: str, password: str) -> str:
        """Create an inactive account with the default grants; returns its username.

        A staff member must activate it before it can log in (auth-and-permissions.md §10).

        Raises:
            InvalidInputError: the username is not an e-mail address, or the password is weak.
            AlreadyExistsError: the username is taken.
        """
        username = username.strip()
        validate_username(username)
        validate_password(password, username)
        taken = AlreadyExistsError(f"Username already exists: {username}")
        try:
            with self._db.session() as session:
                if session.scalars(select(User.id).where(User.username == username)).first() is not None:
                    raise taken
                user = User(username=username, password_hash=self._hasher.hash(password), is_active=False)
                session.add(user)
                session.flush()
                # its subject (with the default grants) now; its first token at its first login,
                # so "no token yet" tells a registration waiting for activation from a disabled account
                self._auth.user_subject(session, user)
                audit.record(session, audit.AuditEvent.USER_REGISTERED, executor=username, subject=username)
        except IntegrityError:  # registered by another request at the same moment
            raise taken from None
        logger.info("user registered (inactive)", username=username)
        return username

    def regenerate_token(self, subject: Subject) -> str:
        """Replace the calling user's token; the old one stops working at once."""
        user_id = self._require_user(subject)
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise AuthenticationError("wrong credentials: token is unknown")
            token = self._auth.regenerate_token(
                session, self._auth.user_subject(session, user), SubjectKind.USER
            )
        logger.info("user token regenerated", username=subject.name)
        return token

    def login(self, username: str, password: str, client: str) -> LoginResult:
        """Check a password and return the user's token.

        Raises:
            TooManyAttemptsError: too many failures for this username from this client.
            AuthenticationError: wrong username or password, or a disabled account.
        """
        self._limiter.check(username, client)
        with self._db.session(readonly=True) as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            verified = user is not None and self._verify(user, password)
        if not verified:
            self._limiter.failed(username, client)  # its own transaction: counted even though we raise
            raise AuthenticationError("incorrect username or password")
        with self._db.session() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None:  # gone since its password was checked
                raise AuthenticationError("incorrect username or password")
            if not user.is_active:
                raise AuthenticationError(
                    NOT_ACTIVATED if self._awaits_activation(session, user) else "user account is disabled"
                )
            if self._hasher.check_needs_rehash(user.password_hash):
                user.password_hash = self._hasher.hash(password)
            user.last_login_time = now()
            token = self._auth.current_token(
                session, self._auth.user_subject(session, user), SubjectKind.USER
            )
            result = LoginResult(user.username, token, user.is_staff)
        self._limiter.succeeded(username, client)
        return result

    def profile(self, subject: Subject) -> LoginResult:
        """Username, token and staff flag of the calling user."""
        user_id = self._require_user(subject)
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise AuthenticationError("wrong credentials: token is unknown")
            token = self._auth.current_token(
                session, self._auth.user_subject(session, user), SubjectKind.USER
            )
            return LoginResult(user.username, token, user.is_staff)

    def change_password(self, subject: Subject, old_password: str, new_password: str) -> None:
        user_id = self._require_user(subject)
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None or not self._verify(user, old_password):
                raise AuthenticationError("Passed password is incorrect.")
            validate_password(new_password, user.username)
            user.password_hash = self._hasher.hash(new_password)
        logger.info("password changed", username=subject.name)

    def _awaits_activation(self, session: Session, user: User) -> bool:
        """A registered account never activated: it has not been issued any token yet."""
        subject = self._auth.user_subject(session, user)
        return session.scalars(select(AuthToken.id).where(AuthToken.subject_id == subject.id)).first() is None

    @staticmethod
    def _require_user(subject: Subject) -> str:
        if subject.kind != SubjectKind.USER or subject.user_id is None:
            raise AuthenticationError("wrong subject type to do this operation: a user's token is required")
        return subject.user_id

    def _verify(self, user: User, password: str) -> bool:
        try:
            return self._hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
