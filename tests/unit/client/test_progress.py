from __future__ import annotations

from itertools import islice

from racetrack.client.progress import fibonacci_delays


def test_polling_starts_fast_and_backs_off_to_three_seconds() -> None:
    delays = list(islice(fibonacci_delays(), 11))
    assert delays == [0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.3, 2.1, 3.0, 3.0, 3.0]
