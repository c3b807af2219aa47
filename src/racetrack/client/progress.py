"""Following a deployment until it is done: polling with back-off and live phases.

Polls ``GET /api/v1/deploy/{id}`` with Fibonacci back-off (0.1 s, 0.1 s, 0.2 s, 0.3 s, 0.5 s, ...
capped at 3 s), since a local deployment takes seconds. Every new phase is reported once:
under a rich spinner when stdout is a terminal, as a plain ``deployment in progress: <phase>...``
line otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from racetrack.client.errors import DeploymentFailedError
from racetrack.client.http import LifecycleClient
from racetrack.client.output import Output
from racetrack.core.errors import RacetrackError

FIRST_DELAY = 0.1
MAX_DELAY = 3.0
TIMEOUT = 3600.0


def fibonacci_delays(first: float | None = None, cap: float = MAX_DELAY) -> Iterator[float]:
    """0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.3, 2.1, 3.0, 3.0, ..."""
    a = b = FIRST_DELAY if first is None else first
    while True:
        yield round(min(a, cap), 3)
        a, b = b, a + b


def phase_text(deployment: dict[str, Any], verb: str = "deployment") -> str:
    phase = deployment.get("phase")
    return f"{verb} in progress: {phase}..." if phase else f"{verb} in progress..."


def wait_for_deployment(
    client: LifecycleClient,
    deployment_id: str,
    out: Output,
    *,
    timeout: float = TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Poll until the deployment is ``done`` and return its final DeploymentDto.

    Raises:
        DeploymentFailedError: the deployment failed (with the server's error), timed out,
            or polling it failed.
    """
    deadline = clock() + timeout
    delays = fibonacci_delays()
    spinner = _spinner(out)
    last_text: str | None = None
    warned = False
    with spinner as status:
        while True:
            try:
                deployment = client.get(f"deploy/{deployment_id}")
            except RacetrackError as e:
                raise DeploymentFailedError(str(e)) from e
            state = str(deployment.get("status", "")).lower()
            if deployment.get("warnings") and not warned:
                warned = True
                out.warning(str(deployment["warnings"]))
            if state == "failed":
                raise DeploymentFailedError(str(deployment.get("error") or "the server gave no reason"))
            if state == "done":
                return dict(deployment)
            text = phase_text(deployment)
            if text != last_text:
                last_text = text
                out.notice(text)
                if status is not None:
                    status.update(text)
            if clock() >= deadline:
                raise DeploymentFailedError(
                    f"gave up waiting for deployment {deployment_id} after {int(timeout)} s;"
                    " it may still finish: check `racetrack list`"
                )
            sleep(next(delays))


def _spinner(out: Output) -> AbstractContextManager[Any]:
    if not out.tty:
        return nullcontext()
    from rich.console import Console

    return Console().status("waiting for the deployment to start...", spinner="dots")


def follow_deployment(client: LifecycleClient, deployment_id: str, out: Output) -> dict[str, Any]:
    """``wait_for_deployment``, where Ctrl+C stops only the following (exit code 130)."""
    try:
        return wait_for_deployment(client, deployment_id, out)
    except KeyboardInterrupt:
        import typer

        out.warning(
            f"stopped following deployment {deployment_id}; it goes on on the server "
            "(check it with: racetrack deployments)"
        )
        raise typer.Exit(130) from None
