"""Pure forwarding rules: Location rewriting and failure classification."""

from __future__ import annotations

import aiohttp
import pytest

from racetrack.pub.metrics import PubMetrics
from racetrack.pub.proxy import _classify, _relative_location

REPLICAS = ("job-adder.racetrack.svc:7000", "127.0.0.1:17001")


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (b"http://job-adder.racetrack.svc:7000/pub/job/adder/1.0.0/x?a=1", b"/pub/job/adder/1.0.0/x?a=1"),
        (b"https://127.0.0.1:17001/docs", b"/docs"),
        (b"//127.0.0.1:17001/docs", b"/docs"),
        (b"http://127.0.0.1:17001", b"/"),
        (b"https://example.org/login", b"https://example.org/login"),
        (b"/already/relative", b"/already/relative"),
        (b"relative/path", b"relative/path"),
    ],
)
def test_location_pointing_at_a_replica_is_made_host_relative(location: bytes, expected: bytes) -> None:
    assert _relative_location(location, REPLICAS) == expected


@pytest.mark.parametrize(
    ("error", "status", "cause", "metric"),
    [
        (
            aiohttp.ConnectionTimeoutError(),
            502,
            "job may be dead",
            "pub_job_proxy_connection_refused_errors_total",
        ),
        (aiohttp.SocketTimeoutError(), 504, "timed out", "pub_job_proxy_context_deadline_errors_total"),
        (TimeoutError(), 504, "timed out", "pub_job_proxy_context_deadline_errors_total"),
        (
            aiohttp.ServerDisconnectedError(),
            502,
            "may have died",
            "pub_job_proxy_connection_broken_errors_total",
        ),
        (
            aiohttp.ClientPayloadError("x"),
            502,
            "may have died",
            "pub_job_proxy_connection_broken_errors_total",
        ),
        (
            aiohttp.ClientOSError(104, "reset"),
            502,
            "may have died",
            "pub_job_proxy_connection_broken_errors_total",
        ),
    ],
)
def test_forwarding_failures_are_classified(error: Exception, status: int, cause: str, metric: str) -> None:
    metrics = PubMetrics()
    assert _classify(error, metrics)[0] == status
    assert cause in _classify(error, metrics)[1]
    assert metrics.registry.get_sample_value(metric) == 2


def test_refused_connection_is_classified_as_a_dead_job() -> None:
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("127.0.0.1", 1, False, True, None, None, None)
    error = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused"))
    status, cause = _classify(error, PubMetrics())
    assert (status, cause) == (502, "connection refused to a target job (job may be dead)")
