"""A job that is dead, dies mid-call or is too slow: classified 502/504 answers, fast."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.pub.pub_servers import (
    FakeLifecycle,
    JobReplica,
    PubFactory,
    SaturatedListener,
)

TOKEN = "tok-admin"
AUTH = {"X-Racetrack-Auth": TOKEN}


def metric(base: str, name: str) -> float:
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"metric {name} not exported")


def test_dead_job_is_answered_bad_gateway_at_once(
    lifecycle: FakeLifecycle, pub: PubFactory, dead: str
) -> None:
    lifecycle.add_job("adder", "0.0.2", [dead])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub()
    started = time.monotonic()
    response = httpx.get(f"{base}/pub/job/adder/latest/api/v1/perform", headers=AUTH)
    assert time.monotonic() - started < 3  # not retried until some timeout
    assert response.status_code == 502
    assert response.json() == {
        "error": "Reverse proxy error: connection refused to a target job (job may be dead)",
        "jobName": "adder",
        "jobVersion": "0.0.2",
        "jobStatus": "running",
        "requestId": response.headers["x-request-tracing-id"],
        "caller": "User admin",
    }
    assert metric(base, "pub_job_proxy_connection_refused_errors_total") == 1
    assert metric(base, "pub_job_proxy_errors_total") == 1


def test_unroutable_job_is_answered_within_the_connect_timeout(
    lifecycle: FakeLifecycle, pub: PubFactory
) -> None:
    hanging = SaturatedListener()
    lifecycle.add_job("adder", "0.0.2", [hanging.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(job_connect_timeout=0.3)
    started = time.monotonic()
    try:
        response = httpx.get(f"{base}/pub/job/adder/0.0.2/x", headers=AUTH)
    finally:
        hanging.close()
    assert time.monotonic() - started < 3  # the listener never accepts: only the timeout ends it
    assert response.status_code == 502
    assert "job may be dead" in response.json()["error"]


def test_dead_replica_is_skipped_for_a_live_one(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory, dead: str
) -> None:
    lifecycle.add_job("adder", "0.0.2", [dead, job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub()
    statuses = [httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH).status_code for _ in range(4)]
    assert statuses == [200] * 4


def test_job_crashing_mid_request_is_a_bad_gateway(
    lifecycle: FakeLifecycle, pub: PubFactory, crashing_job: str
) -> None:
    lifecycle.add_job("adder", "0.0.2", [crashing_job])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub()
    assert httpx.get(f"{base}/pub/job/adder/0.0.2/ok", headers=AUTH).json() == {"alive": True}
    started = time.monotonic()
    response = httpx.post(f"{base}/pub/job/adder/0.0.2/crash", headers=AUTH, json={"a": 1})
    assert time.monotonic() - started < 3  # not left waiting for the 600 s request timeout
    assert response.status_code == 502
    assert (
        response.json()["error"]
        == "Reverse proxy error: connection broken to a target job (job may have died)"
    )
    assert metric(base, "pub_job_proxy_connection_broken_errors_total") == 1
    # the process is gone now: the next call is refused
    assert "connection refused" in httpx.get(f"{base}/pub/job/adder/0.0.2/ok", headers=AUTH).json()["error"]


def test_job_crashing_after_its_response_head_truncates_the_response(
    lifecycle: FakeLifecycle, pub: PubFactory, crashing_job: str
) -> None:
    lifecycle.add_job("adder", "0.0.2", [crashing_job])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub()
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{base}/pub/job/adder/0.0.2/crash-after-head", headers=AUTH)
    assert metric(base, "pub_job_proxy_connection_broken_errors_total") == 1


def test_job_too_slow_is_a_gateway_timeout(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(job_request_timeout=0.3)
    started = time.monotonic()
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/slow?seconds=10", headers=AUTH)
    assert time.monotonic() - started < 5  # the job would answer after 10 s
    assert response.status_code == 504
    assert response.json()["error"] == "Reverse proxy error: request to a job timed out"
    assert metric(base, "pub_job_proxy_context_deadline_errors_total") == 1
    codes = 'pub_job_proxy_response_codes_total{job_name="adder",job_version="0.0.2",status_code="504"}'
    assert metric(base, codes) == 1


def test_streaming_longer_than_the_timeout_is_fine_while_data_flows(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(job_request_timeout=0.3)
    received = b""
    with httpx.stream("GET", f"{base}/pub/job/adder/0.0.2/endless", headers=AUTH) as response:
        started = time.monotonic()
        for chunk in response.iter_raw():
            received += chunk
            if time.monotonic() - started > 0.8:
                break
    assert received.count(b"tick") > 10


def test_moved_job_is_looked_up_again_when_its_cached_address_refuses(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory, dead: str
) -> None:
    """After a redeploy retires the cached replicas, the call reaches the new ones at once."""
    lifecycle.add_job("adder", "0.0.2", [dead])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(cache_ttl_positive=60)
    assert httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH).status_code == 502
    lifecycle.add_job("adder", "0.0.2", [job.address])  # the redeploy moved the job
    response = httpx.post(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH, content=b"{}")
    assert response.status_code == 200
    assert httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH).status_code == 200


def test_deleted_job_is_not_found_although_an_allowed_answer_was_cached(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory, dead: str
) -> None:
    lifecycle.add_job("adder", "0.0.2", [dead])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(cache_ttl_positive=60)
    assert httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH).status_code == 502
    lifecycle.reset()  # the job was deleted
    lifecycle.tokens[TOKEN] = "User admin"
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH)
    assert response.status_code == 404
    assert "Job was not found" in response.json()["error"]


def test_client_leaving_a_stream_is_counted_at_once(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    """PUB stops relaying as soon as the client goes, not after the job's read timeout."""
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(job_request_timeout=30)
    with httpx.stream("GET", f"{base}/pub/job/adder/0.0.2/stream", headers=AUTH) as response:
        next(response.iter_raw())
    deadline = time.monotonic() + 3
    while metric(base, "pub_job_proxy_context_canceled_errors_total") < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert metric(base, "pub_job_proxy_context_canceled_errors_total") == 1
    job.control.release_stream.set()
