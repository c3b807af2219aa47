from __future__ import annotations

from itertools import islice
from typing import Any

import pytest
import typer

from racetrack.client.output import Output
from racetrack.client.progress import fibonacci_delays, follow_deployment


def test_polling_starts_fast_and_backs_off_to_three_seconds() -> None:
    delays = list(islice(fibonacci_delays(), 11))
    assert delays == [0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.3, 2.1, 3.0, 3.0, 3.0]


def test_ctrl_c_stops_following_with_exit_130_and_says_the_deployment_goes_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class InterruptedClient:
        def get(self, path: str) -> Any:
            raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as stopped:
        follow_deployment(InterruptedClient(), "d-1", Output())  # type: ignore[arg-type]

    assert stopped.value.exit_code == 130
    assert "stopped following deployment d-1; it goes on on the server" in capsys.readouterr().err
