"""Failed-login limits, kept in the database so every Lifecycle replica counts the same failures.

A username is locked after ``limit`` failures within the window, wherever the guesses come
from (password guessing spread over many addresses); a client address after ``client_limit``
failures for any usernames (password spraying). A successful login clears its username's
count, not its address's. Failures older than the window are deleted as new ones arrive.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from racetrack.core.errors import RacetrackError
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import LoginFailure, now

BY_USER = "user"
BY_CLIENT = "client"
KEY_LENGTH = 255  # longer usernames (anyone may type one) are cut, as the column holds no more
PRUNE_EVERY = 60.0  # seconds between deletions of every expired failure (besides the keys at hand)


class TooManyAttemptsError(RacetrackError):
    status_code = 429


class LoginRateLimiter:
    def __init__(
        self,
        db: Database,
        limit: int,
        window_seconds: float,
        client_limit: int | None = None,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self._db = db
        self.limit = limit
        self.client_limit = client_limit if client_limit is not None else limit * 4
        self.window = timedelta(seconds=window_seconds)
        self._clock = clock
        self._pruned_at = 0.0

    def check(self, username: str, client: str) -> None:
        """Raise TooManyAttemptsError (429, saying how long to wait) when a limit is reached."""
        moment = self._clock()
        with self._db.session(readonly=True) as session:
            count, oldest = self._recent(session, BY_USER, username, moment)
            if count >= self.limit:
                raise TooManyAttemptsError(
                    f"too many failed login attempts for user {username}; "
                    f"try again in {self._wait(oldest, moment)} seconds"
                )
            count, oldest = self._recent(session, BY_CLIENT, client, moment)
            if count >= self.client_limit:
                raise TooManyAttemptsError(
                    "too many failed login attempts from your address; "
                    f"try again in {self._wait(oldest, moment)} seconds"
                )

    def failed(self, username: str, client: str) -> None:
        moment = self._clock()
        expired = moment - self.window
        with self._db.session() as session:
            for kind, key in ((BY_USER, username), (BY_CLIENT, client)):
                session.execute(
                    delete(LoginFailure).where(
                        LoginFailure.kind == kind,
                        LoginFailure.key == key[:KEY_LENGTH],
                        LoginFailure.failed_at <= expired,
                    )
                )
                session.add(LoginFailure(kind=kind, key=key[:KEY_LENGTH], failed_at=moment))
            if time.monotonic() - self._pruned_at > PRUNE_EVERY:
                self._pruned_at = time.monotonic()
                session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= expired))

    def succeeded(self, username: str, client: str) -> None:
        with self._db.session() as session:
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.kind == BY_USER, LoginFailure.key == username[:KEY_LENGTH]
                )
            )

    def _recent(self, session: Session, kind: str, key: str, moment: datetime) -> tuple[int, datetime | None]:
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.failed_at)).where(
                LoginFailure.kind == kind,
                LoginFailure.key == key[:KEY_LENGTH],
                LoginFailure.failed_at > moment - self.window,
            )
        ).one()
        return int(count), oldest

    def _wait(self, oldest: datetime | None, moment: datetime) -> int:
        if oldest is None:
            return 1
        if oldest.tzinfo is None:  # an aggregate bypasses the column type on SQLite
            oldest = oldest.replace(tzinfo=moment.tzinfo)
        return max(1, round((oldest + self.window - moment).total_seconds()))
