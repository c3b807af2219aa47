"""Verifying a new deployment: wait for ``/live`` (with its deployment timestamp), then ``/ready``.

Rules (lifecycle-api.md §6): ``/live`` must answer JSON whose ``deployment_timestamp`` equals
the new deployment's, so an older instance still answering is never mistaken for the new one.
A non-200 ``/live`` of the new instance fails at once ("Job initialization error: ..."), as
does a 404. Polling uses a Fibonacci back-off starting at 50 ms (local jobs start in well
under a second) and capped at 3 s.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from racetrack.core.errors import DeploymentError

REQUEST_TIMEOUT = 3.0


class DeploymentCancelled(DeploymentError):
    """The process is shutting down while a deployment waits."""


def fibonacci_delays(first: float = 0.05, cap: float = 3.0) -> Iterator[float]:
    """0.05, 0.05, 0.1, 0.15, 0.25, ... seconds, never more than ``cap``."""
    a, b = first, first
    while True:
        yield min(a, cap)
        a, b = b, a + b


@dataclass
class _Answer:
    status: int
    reason: str
    body: Any  # parsed JSON, or None


def _get(client: httpx.Client, url: str) -> _Answer:
    response = client.get(url, timeout=REQUEST_TIMEOUT)
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        body = None
    return _Answer(response.status_code, response.reason_phrase, body)


def _same_timestamp(body: Any, expected: int) -> bool:
    if not isinstance(body, dict) or "deployment_timestamp" not in body:
        return False
    try:
        return int(body["deployment_timestamp"] or 0) == expected
    except (TypeError, ValueError):
        return False


def _liveness_failure(answer: _Answer) -> DeploymentError:
    if answer.status == 404:
        return DeploymentError("Job health error: liveness endpoint not found")
    if isinstance(answer.body, dict) and answer.body.get("error"):
        return DeploymentError(f"Job initialization error: {answer.body['error']}")
    return DeploymentError(f"Job liveness error: {answer.status} {answer.reason}")


class HealthCheck:
    """Waits for one deployment's instances to become live and ready.

    Args:
        alive_timeout: seconds to wait for ``/live`` with the new timestamp.
        ready_timeout: seconds to wait for ``/ready`` once live.
        cancel: set when the process stops; the wait then ends with DeploymentCancelled.
    """

    def __init__(
        self,
        *,
        alive_timeout: float,
        ready_timeout: float,
        cancel: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        failure_probe: Callable[[], str | None] | None = None,
    ) -> None:
        self.failure_probe = failure_probe
        self.alive_timeout = alive_timeout
        self.ready_timeout = ready_timeout
        self.cancel = cancel or threading.Event()
        self.clock = clock

    def _check_not_down(self) -> None:
        """Fail at once when the target says the new instances went down (exited, crashed)."""
        reason = self.failure_probe() if self.failure_probe is not None else None
        if reason:
            raise DeploymentError(f"Job server exited during startup: {reason}")

    def _sleep(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise DeploymentCancelled("halted due to server shutdown")

    def wait(self, addresses: list[str], deployment_timestamp: int, on_alive: Callable[[], None]) -> None:
        """Return once every address is live (with the timestamp) and ready; else raise.

        Raises:
            DeploymentError: with the spec's message for what went wrong.
        """
        with httpx.Client(trust_env=False) as client:
            for address in addresses:
                self._wait_alive(client, _base_url(address), deployment_timestamp)
            on_alive()
            for address in addresses:
                self._wait_ready(client, _base_url(address), deployment_timestamp)

    def _wait_alive(self, client: httpx.Client, base_url: str, expected: int) -> None:
        deadline = self.clock() + self.alive_timeout
        delays = fibonacci_delays()
        last_problem = "no answer yet"
        while True:
            try:
                answer = _get(client, f"{base_url}/live")
            except httpx.HTTPError as e:
                last_problem = f"Cluster error: can't reach Job: {type(e).__name__}: {e}"
            else:
                if _same_timestamp(answer.body, expected):
                    if answer.status != 200:
                        raise _liveness_failure(answer)
                    return
                if answer.status == 404:
                    raise _liveness_failure(answer)
                if answer.status != 200 and not isinstance(answer.body, dict):
                    raise _liveness_failure(answer)
                last_problem = (
                    "Cluster error: can't reach newer Job, "
                    f"/live does not report deployment_timestamp {expected}"
                )
            self._check_not_down()
            if self.clock() >= deadline:
                raise DeploymentError(f"{last_problem} (waited {self.alive_timeout:g} s for {base_url}/live)")
            self._sleep(next(delays))

    def _wait_ready(self, client: httpx.Client, base_url: str, expected: int) -> None:
        deadline = self.clock() + self.ready_timeout
        delays = fibonacci_delays()
        while True:
            try:
                answer = _get(client, f"{base_url}/ready")
                if answer.status == 200:
                    return
                if answer.status == 404:
                    raise DeploymentError("Job health error: readiness endpoint not found")
                live = _get(client, f"{base_url}/live")
            except httpx.HTTPError as e:
                self._check_not_down()
                raise DeploymentError(
                    f"Job server crashed while initialization: {type(e).__name__}: {e}"
                ) from e
            if live.status != 200 and (
                _same_timestamp(live.body, expected) or not isinstance(live.body, dict)
            ):
                raise _liveness_failure(live)
            if self.clock() >= deadline:
                raise DeploymentError(f"Job initialization timed out (waited {self.ready_timeout:g} s)")
            self._sleep(next(delays))


def _base_url(address: str) -> str:
    return address.rstrip("/") if "://" in address else f"http://{address}".rstrip("/")
