"""PUB's own endpoints on a real server: probes, metrics, last calls, unknown routes."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.integration.pub.pub_servers import FakeLifecycle, JobReplica, PubFactory

TOKEN = "tok-admin"
AUTH = {"X-Racetrack-Auth": TOKEN}


@pytest.fixture
def base(lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory) -> str:
    lifecycle.add_job("adder", "0.0.1", [job.address])
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.add_job("adder", "0.1.0-dev", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    return pub(git_version="abc123")


@pytest.mark.parametrize("prefix", ["", "/pub"])
def test_probes_answer_without_a_token(base: str, prefix: str) -> None:
    assert httpx.get(f"{base}{prefix}/live").json() == {"live": True}
    assert httpx.get(f"{base}{prefix}/ready").json() == {"ready": True}
    assert httpx.get(f"{base}{prefix}/health").json() == {
        "service": "pub",
        "version": "abc123",
        "status": "pass",
        "auth_required": True,
    }


def test_health_requests_are_counted(base: str) -> None:
    httpx.get(f"{base}/health")
    httpx.get(f"{base}/pub/health")
    assert "pub_health_requests_total 2.0" in httpx.get(f"{base}/pub/metrics").text


def test_unknown_route_is_not_found(base: str) -> None:
    assert httpx.get(f"{base}/pub/nothing").status_code == 404
    assert httpx.get(f"{base}/pub/health/extra").status_code == 404
    assert httpx.get(f"{base}/").status_code == 404


def test_metrics_are_labelled_with_the_resolved_exact_version(base: str) -> None:
    httpx.get(f"{base}/pub/job/adder/latest/echo", headers=AUTH)
    httpx.get(f"{base}/pub/job/adder/0.x/echo", headers=AUTH)
    httpx.get(f"{base}/pub/job/adder/0.0.1/echo", headers=AUTH)
    text = httpx.get(f"{base}/metrics").text
    labels = set(re.findall(r'job_version="([^"]+)"', text))
    assert labels == {"0.0.2", "0.0.1"}
    assert 'pub_job_proxy_requests_total{job_name="adder",job_version="0.0.2"} 2.0' in text
    assert 'pub_job_proxy_requests_started_total{job_name="adder",job_version="0.0.2"} 2.0' in text
    assert 'pub_job_proxy_requests_done_total{job_name="adder",job_version="0.0.2"} 2.0' in text
    assert (
        'pub_job_proxy_response_codes_total{job_name="adder",job_version="0.0.2",status_code="200"} 2.0'
        in text
    )
    assert 'pub_job_call_response_time_histogram_count{job_name="adder",job_version="0.0.2"} 2.0' in text
    assert "pub_auth_successful_total 3.0" in text
    assert "pub_lifecycle_calls_total 3.0" in text


def test_response_time_histogram_has_exponential_buckets(base: str) -> None:
    httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH)
    text = httpx.get(f"{base}/metrics").text
    buckets = re.findall(r'pub_job_call_response_time_histogram_bucket\{[^}]*le="([^"]+)"', text)
    assert buckets[0] == "0.001"
    assert buckets[1] == "0.002"
    assert float(buckets[20]) == pytest.approx(1048.576)
    assert buckets[21] == "+Inf"


def test_refusals_and_lifecycle_use_are_counted(base: str) -> None:
    httpx.get(f"{base}/pub/job/adder/0.0.2/echo")
    httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH)
    httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH)
    text = httpx.get(f"{base}/metrics").text
    assert "pub_auth_failed_total 1.0" in text
    assert "pub_job_proxy_request_errors_total 1.0" in text
    assert "pub_lifecycle_cache_retrieved_responses_total 1.0" in text
    assert "pub_lifecycle_calls_total 2.0" in text
    assert re.search(r"pub_lifecycle_call_time_total [0-9.e-]+", text)


def test_last_call_time_is_recorded_per_resolved_job(base: str) -> None:
    before = time.time()
    httpx.get(f"{base}/pub/job/adder/latest/echo", headers=AUTH)
    calls = httpx.get(f"{base}/pub/last-calls").json()["last_calls"]
    assert [(c["job_name"], c["job_version"]) for c in calls] == [("adder", "0.0.2")]
    assert before <= calls[0]["last_call_timestamp"] <= time.time()
    text = httpx.get(f"{base}/metrics").text
    assert 'pub_job_last_call_timestamp{job_name="adder",job_version="0.0.2"}' in text


def test_refused_calls_do_not_count_as_last_calls(base: str) -> None:
    httpx.get(f"{base}/pub/job/adder/0.0.2/echo")
    assert httpx.get(f"{base}/last-calls").json() == {"last_calls": []}
