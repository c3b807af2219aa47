"""Login rate limiting and the password policy."""

from __future__ import annotations

import time

import pytest

from racetrack.core.errors import InvalidInputError
from racetrack.lifecycle.services.users import LoginRateLimiter, TooManyAttemptsError, validate_password


def test_limiter_blocks_after_the_limit_per_username_and_client() -> None:
    limiter = LoginRateLimiter(limit=3, window_seconds=60)
    for _ in range(3):
        limiter.check("admin", "10.0.0.1")
        limiter.failed("admin", "10.0.0.1")
    with pytest.raises(TooManyAttemptsError, match="too many failed login attempts for user admin"):
        limiter.check("admin", "10.0.0.1")
    assert TooManyAttemptsError.status_code == 429
    limiter.check("admin", "10.0.0.2")
    limiter.check("alice", "10.0.0.1")


def test_limiter_forgets_old_failures_and_resets_on_success() -> None:
    limiter = LoginRateLimiter(limit=1, window_seconds=0.05)
    limiter.failed("admin", "c")
    time.sleep(0.06)
    limiter.check("admin", "c")
    limiter.failed("admin", "c")
    limiter.succeeded("admin", "c")
    limiter.check("admin", "c")


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
