"""Authorisation through a real PUB and a fake Lifecycle: outcomes, error shapes, caching."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.integration.pub.pub_servers import FakeLifecycle, JobReplica, PubFactory, ServerThread

TOKEN = "tok-admin"
AUTH = {"X-Racetrack-Auth": TOKEN}


@pytest.fixture
def base(lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory) -> str:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    return pub()


def test_call_without_token_is_unauthenticated(base: str, job: JobReplica) -> None:
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/api/v1/perform")
    assert response.status_code == 401
    assert response.json() == {
        "error": "Proxy request error: Unauthenticated",
        "requestId": response.headers["x-request-tracing-id"],
    }
    assert job.control.requests == []


def test_call_with_a_bad_token_is_unauthenticated_without_details(base: str) -> None:
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/api/v1/perform", headers={"X-Racetrack-Auth": "nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "Proxy request error: Unauthenticated"


def test_auth_debug_adds_lifecycles_reason(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    base = pub(auth_debug=True)
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/x", headers={"X-Racetrack-Auth": "nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "Proxy request error: Unauthenticated: Invalid auth token"


@pytest.mark.parametrize(
    "header",
    ["X-Racetrack-Esc-Auth", "X-Racetrack-Fatman-Auth", "X-Racetrack-User-Auth", "X-Racetrack-Job-Auth"],
)
def test_legacy_token_headers_are_accepted(base: str, lifecycle: FakeLifecycle, header: str) -> None:
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers={header: TOKEN})
    assert response.status_code == 200
    assert lifecycle.calls[-1]["headers"]["x-racetrack-auth"] == TOKEN


def test_token_from_the_url_encoded_cookie_is_accepted(base: str, lifecycle: FakeLifecycle) -> None:
    lifecycle.tokens["a b/c=="] = "User browser"
    response = httpx.get(
        f"{base}/pub/job/adder/0.0.2/echo", headers={"Cookie": "X-Racetrack-Auth=a%20b%2Fc%3D%3D"}
    )
    assert response.status_code == 200
    assert lifecycle.calls[-1]["headers"]["x-racetrack-auth"] == "a b/c=="


def test_unknown_job_is_not_found(base: str) -> None:
    response = httpx.get(f"{base}/pub/job/nope/0.0.1/x", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"] == "Proxy request error: Job was not found: Job nope 0.0.1 was not found"


def test_unknown_version_is_not_found(base: str) -> None:
    assert httpx.get(f"{base}/pub/job/adder/9.9.9/x", headers=AUTH).status_code == 404


def test_version_alias_is_sent_to_lifecycle_as_typed(base: str, lifecycle: FakeLifecycle) -> None:
    assert httpx.get(f"{base}/pub/job/adder/0.x/echo", headers=AUTH).status_code == 200
    assert lifecycle.calls[-1]["version"] == "0.x"


def test_maintenance_mode_is_service_unavailable(base: str, lifecycle: FakeLifecycle) -> None:
    lifecycle.maintenance = True
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/x", headers=AUTH)
    assert response.status_code == 503
    assert response.json()["error"] == "Racetrack is currently in maintenance mode. Please try again later."


def test_lifecycle_failure_without_cached_answer_is_an_internal_error(
    base: str, lifecycle: FakeLifecycle
) -> None:
    lifecycle.failure = 500
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/x", headers=AUTH)
    assert response.status_code == 500
    assert response.json()["error"].startswith(
        "Proxy request error: Getting job details: Lifecycle answered 500"
    )


def test_job_that_is_not_serving_is_service_unavailable(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address], status="lost")
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub()
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/x", headers=AUTH)
    assert response.status_code == 503
    assert response.json()["error"] == "Job adder 0.0.2 is not serving (status: lost)"
    assert job.control.requests == []


def test_lifecycle_gets_the_callers_token_and_the_tracing_id_only(
    base: str, lifecycle: FakeLifecycle
) -> None:
    httpx.get(f"{base}/pub/job/adder/0.0.2/a/b/", headers={**AUTH, "X-Request-Tracing-Id": "t-1"})
    call = lifecycle.calls[-1]
    assert (call["name"], call["version"], call["endpoint"]) == ("adder", "0.0.2", "/a/b")
    assert call["headers"]["x-racetrack-auth"] == TOKEN
    assert call["headers"]["x-request-tracing-id"] == "t-1"


def test_auth_header_is_omitted_for_lifecycle_when_the_caller_sent_none(
    base: str, lifecycle: FakeLifecycle
) -> None:
    httpx.get(f"{base}/pub/job/adder/0.0.2/x")
    assert "x-racetrack-auth" not in lifecycle.calls[-1]["headers"]


def test_warm_cache_needs_no_lifecycle_call(base: str, lifecycle: FakeLifecycle) -> None:
    with httpx.Client() as client:
        for _ in range(20):
            assert client.get(f"{base}/pub/job/adder/latest/echo", headers=AUTH).status_code == 200
    assert len(lifecycle.calls) == 1


def test_cache_entries_are_per_endpoint_and_per_token(base: str, lifecycle: FakeLifecycle) -> None:
    lifecycle.tokens["other"] = "User other"
    for _ in range(3):
        httpx.get(f"{base}/pub/job/adder/0.0.2/one", headers=AUTH)
        httpx.get(f"{base}/pub/job/adder/0.0.2/one/", headers=AUTH)  # same normalised endpoint
        httpx.get(f"{base}/pub/job/adder/0.0.2/two", headers=AUTH)
        httpx.get(f"{base}/pub/job/adder/0.0.2/one", headers={"X-Racetrack-Auth": "other"})
    assert len(lifecycle.calls) == 3


def test_health_paths_are_open_without_a_token(base: str) -> None:
    for path in ("health", "live", "ready"):
        assert httpx.get(f"{base}/pub/job/adder/0.0.2/{path}").status_code == 200


def test_health_probes_after_a_warm_call_need_no_lifecycle_call(base: str, lifecycle: FakeLifecycle) -> None:
    httpx.get(f"{base}/pub/job/adder/latest/echo", headers=AUTH)
    for path in ("health", "live", "ready", "health"):
        response = httpx.get(f"{base}/pub/job/adder/latest/{path}", headers={"X-Racetrack-Auth": "anyone"})
        assert response.status_code == 200
        assert "x-caller-name" not in {k for k, _ in response.json()["headers"]}
    assert len(lifecycle.calls) == 1


def test_concurrent_misses_share_one_lifecycle_call(base: str, lifecycle: FakeLifecycle) -> None:
    lifecycle.delay = 0.3
    statuses: list[int] = []

    def call() -> None:
        statuses.append(httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH).status_code)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 10
    assert len(lifecycle.calls) == 1


def test_revoked_token_is_rejected_within_five_seconds(base: str, lifecycle: FakeLifecycle) -> None:
    url = f"{base}/pub/job/adder/0.0.2/echo"
    assert httpx.get(url, headers=AUTH).status_code == 200
    del lifecycle.tokens[TOKEN]
    revoked_at = time.monotonic()
    while httpx.get(url, headers=AUTH).status_code == 200:
        assert time.monotonic() - revoked_at < 5, "revoked token still accepted after 5 s"
        time.sleep(0.1)


def test_new_grant_is_effective_within_the_negative_ttl(base: str, lifecycle: FakeLifecycle) -> None:
    url = f"{base}/pub/job/adder/0.0.2/echo"
    assert httpx.get(url, headers={"X-Racetrack-Auth": "newcomer"}).status_code == 401
    lifecycle.tokens["newcomer"] = "User newcomer"
    granted_at = time.monotonic()
    while httpx.get(url, headers={"X-Racetrack-Auth": "newcomer"}).status_code == 401:
        assert time.monotonic() - granted_at < 3, "a new grant is still refused 3 s on (negative TTL 1 s)"
        time.sleep(0.05)


def test_cached_answer_is_used_while_lifecycle_fails(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(cache_ttl_positive=0.2)
    url = f"{base}/pub/job/adder/0.0.2/echo"
    assert httpx.get(url, headers=AUTH).status_code == 200
    lifecycle.failure = 500
    time.sleep(0.3)
    for _ in range(3):
        response = httpx.get(url, headers=AUTH)
        assert response.status_code == 200
        assert {k: v for k, v in response.json()["headers"]}["x-caller-name"] == "User admin"
    metrics = httpx.get(f"{base}/metrics").text
    assert "pub_lifecycle_cache_recovered_failed_responses_total 3.0" in metrics
    # a call never authorised before cannot be served from the cache
    assert httpx.get(f"{base}/pub/job/adder/0.0.2/other", headers=AUTH).status_code == 500


def test_cached_answer_is_used_while_lifecycle_is_down(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    own_lifecycle = ServerThread(lifecycle.app()).start()
    base = pub(cache_ttl_positive=0.2, lifecycle_url=f"{own_lifecycle.url}/lifecycle")
    url = f"{base}/pub/job/adder/0.0.2/echo"
    assert httpx.get(url, headers=AUTH).status_code == 200
    own_lifecycle.stop()
    time.sleep(0.3)
    for _ in range(2):
        started = time.monotonic()
        assert httpx.get(url, headers=AUTH).status_code == 200
        assert time.monotonic() - started < 1.5  # not waiting out the 2 s Lifecycle timeout
    assert httpx.get(f"{base}/pub/job/adder/0.0.2/health").status_code == 200


def test_stale_answers_are_not_used_past_their_limit(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(cache_ttl_positive=0.1, cache_stale_if_error=0.3)
    url = f"{base}/pub/job/adder/0.0.2/echo"
    assert httpx.get(url, headers=AUTH).status_code == 200
    lifecycle.failure = 502
    time.sleep(0.4)
    assert httpx.get(url, headers=AUTH).status_code == 500


def test_refusals_are_never_served_stale(lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    base = pub(cache_ttl_negative=0.1)
    url = f"{base}/pub/job/adder/0.0.2/echo"
    assert httpx.get(url, headers=AUTH).status_code == 401
    lifecycle.failure = 500
    time.sleep(0.2)
    assert httpx.get(url, headers=AUTH).status_code == 500


def test_pub_recovers_when_lifecycle_comes_back(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(cache_ttl_positive=0.1)
    url = f"{base}/pub/job/adder/0.0.2/echo"
    assert httpx.get(url, headers=AUTH).status_code == 200
    lifecycle.failure = 500
    time.sleep(0.2)
    assert httpx.get(url, headers=AUTH).status_code == 200  # stale
    lifecycle.failure = None
    del lifecycle.tokens[TOKEN]
    deadline = time.monotonic() + 3
    while httpx.get(url, headers=AUTH).status_code == 200:
        assert time.monotonic() < deadline, "PUB kept serving stale answers after Lifecycle recovered"
        time.sleep(0.1)
