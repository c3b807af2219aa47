"""The password policy."""

from __future__ import annotations

import pytest

from racetrack.core.errors import InvalidInputError
from racetrack.lifecycle.services.users import validate_password


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
