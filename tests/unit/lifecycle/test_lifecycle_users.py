"""Login rate limiting and the password policy."""

from __future__ import annotations

import time

import pytest

from racetrack.core.errors import InvalidInputError
from racetrack.lifecycle.services.users import LoginRateLimiter, TooManyAttemptsError, validate_password


def test_limiter_locks_a_username_whatever_address_the_guesses_come_from() -> None:
    limiter = LoginRateLimiter(limit=3, window_seconds=60, client_limit=100)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        limiter.check("admin", address)
        limiter.failed("admin", address)
    with pytest.raises(
        TooManyAttemptsError, match="too many failed login attempts for user admin; try again in"
    ):
        limiter.check("admin", "10.0.0.9")
    assert TooManyAttemptsError.status_code == 429
    limiter.check("alice", "10.0.0.1")


def test_limiter_locks_an_address_spraying_many_usernames() -> None:
    limiter = LoginRateLimiter(limit=3, window_seconds=60, client_limit=5)
    for index in range(5):
        limiter.check(f"user{index}", "10.0.0.1")
        limiter.failed(f"user{index}", "10.0.0.1")
    with pytest.raises(TooManyAttemptsError, match="from your address; try again in"):
        limiter.check("someone-else", "10.0.0.1")
    limiter.check("someone-else", "10.0.0.2")


def test_limiter_forgets_old_failures_and_resets_the_username_on_success() -> None:
    limiter = LoginRateLimiter(limit=1, window_seconds=0.05, client_limit=2)
    limiter.failed("admin", "c")
    time.sleep(0.06)
    limiter.check("admin", "c")
    limiter.failed("admin", "c")
    limiter.succeeded("admin", "c")
    limiter.check("admin", "c")
    limiter.failed("bob", "c")
    with pytest.raises(TooManyAttemptsError, match="from your address"):  # success clears only the username
        limiter.check("carol", "c")


def test_limiter_keeps_its_memory_bounded() -> None:
    limiter = LoginRateLimiter(limit=3, window_seconds=60)
    limiter.MAX_KEYS = 50
    for index in range(200):
        limiter.failed(f"user{index}", f"10.0.{index}.1")
    assert len(limiter._failures) <= 51


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "cannot be empty"),
        ("short1", "too short"),
        ("1234567890", "entirely numeric"),
        ("password123", "too common"),
        ("alice-secret-1", "too similar to the username"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        validate_password(password, "alice@example.com")


def test_a_good_password_passes() -> None:
    validate_password("purple-otter-42", "alice@example.com")
