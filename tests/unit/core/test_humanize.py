from __future__ import annotations

import pytest

from racetrack.core.humanize import size, time_ago

NOW = 1_700_000_000.0
MINUTE, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    ("seconds_ago", "expected"),
    [
        (0, "just now"),
        (9, "just now"),
        (10, "10 seconds ago"),
        (59, "59 seconds ago"),
        (60, "a minute ago"),
        (119, "a minute ago"),
        (5 * MINUTE, "5 minutes ago"),
        (HOUR, "an hour ago"),
        (3 * HOUR, "3 hours ago"),
        (DAY, "yesterday"),
        (3 * DAY, "3 days ago"),
        (7 * DAY, "a week ago"),
        (15 * DAY, "2 weeks ago"),
        (40 * DAY, "a month ago"),
        (100 * DAY, "3 months ago"),
        (400 * DAY, "a year ago"),
        (1000 * DAY, "2 years ago"),
        (-50, "just now"),
    ],
)
def test_time_ago_wording(seconds_ago: int, expected: str) -> None:
    assert time_ago(NOW - seconds_ago, now=NOW) == expected


def test_time_ago_of_nothing_is_never() -> None:
    assert time_ago(None) == "never"


@pytest.mark.parametrize(
    ("num_bytes", "expected"), [(0, "0 B"), (532, "532 B"), (2048, "2.0 KiB"), (5 * 1024**2, "5.0 MiB")]
)
def test_size_wording(num_bytes: int, expected: str) -> None:
    assert size(num_bytes) == expected
