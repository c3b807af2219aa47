"""Failed-login limits, counted in the database (SQLite and PostgreSQL) so that every
Lifecycle replica sharing it enforces the same limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import LoginFailure, now
from racetrack.lifecycle.services.login_limits import LoginRateLimiter, TooManyAttemptsError


class Clock:
    def __init__(self) -> None:
        self.moment = now()

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def stored_failures(db: Database) -> int:
    with db.session(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(LoginFailure)) or 0)


def test_a_username_is_locked_whatever_address_the_guesses_come_from(db: Database, clock: Clock) -> None:
    limiter = LoginRateLimiter(db, limit=3, window_seconds=60, client_limit=100, clock=clock)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        limiter.check("admin", address)
        limiter.failed("admin", address)
        clock.advance(1)
    with pytest.raises(TooManyAttemptsError, match="for user admin; try again in 57 seconds") as info:
        limiter.check("admin", "10.0.0.9")
    assert info.value.status_code == 429
    limiter.check("alice", "10.0.0.1")


def test_an_address_spraying_many_usernames_is_locked(db: Database, clock: Clock) -> None:
    limiter = LoginRateLimiter(db, limit=3, window_seconds=60, client_limit=5, clock=clock)
    for index in range(5):
        limiter.check(f"user{index}", "10.0.0.1")
        limiter.failed(f"user{index}", "10.0.0.1")
    with pytest.raises(TooManyAttemptsError, match="from your address; try again in 60 seconds"):
        limiter.check("someone-else", "10.0.0.1")
    limiter.check("someone-else", "10.0.0.2")


def test_replicas_sharing_a_database_count_the_same_failures(db_url: str, db: Database, clock: Clock) -> None:
    other_db = Database(db_url)  # a second Lifecycle process: its own engine and pool
    try:
        replicas = [
            LoginRateLimiter(db, limit=4, window_seconds=60, clock=clock),
            LoginRateLimiter(other_db, limit=4, window_seconds=60, clock=clock),
        ]
        for attempt in range(4):
            replicas[attempt % 2].failed("admin", f"10.0.0.{attempt}")
        for replica in replicas:
            with pytest.raises(TooManyAttemptsError, match="for user admin"):
                replica.check("admin", "10.0.0.9")
    finally:
        other_db.dispose()


def test_old_failures_are_forgotten_and_deleted(db: Database, clock: Clock) -> None:
    limiter = LoginRateLimiter(db, limit=1, window_seconds=60, client_limit=2, clock=clock)
    limiter.failed("admin", "c")
    with pytest.raises(TooManyAttemptsError):
        limiter.check("admin", "c")
    clock.advance(61)
    limiter.check("admin", "c")
    limiter.failed("admin", "c")  # the expired failures of both keys go as this one is stored
    assert stored_failures(db) == 2


def test_success_clears_the_username_but_not_the_address(db: Database, clock: Clock) -> None:
    limiter = LoginRateLimiter(db, limit=1, window_seconds=60, client_limit=2, clock=clock)
    limiter.failed("admin", "c")
    limiter.succeeded("admin", "c")
    limiter.check("admin", "c")
    limiter.failed("bob", "c")
    with pytest.raises(TooManyAttemptsError, match="from your address"):
        limiter.check("carol", "c")


def test_an_overlong_username_is_counted_by_its_first_255_characters(db: Database, clock: Clock) -> None:
    limiter = LoginRateLimiter(db, limit=1, window_seconds=60, clock=clock)
    limiter.failed("x" * 1000, "c")
    with pytest.raises(TooManyAttemptsError, match="for user x"):
        limiter.check("x" * 1000, "c")
