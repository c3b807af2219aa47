"""Forwarding through a real PUB to a real job: routes, headers, bodies, streaming, redirects."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.pub.pub_servers import FakeLifecycle, JobReplica, PubFactory

TOKEN = "tok-admin"
AUTH = {"X-Racetrack-Auth": TOKEN}


@pytest.fixture
def base(lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory) -> str:
    """PUB in front of job ``adder`` 0.0.2 (one replica), callable by TOKEN as ``User admin``."""
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    return pub()


def headers_of(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.json()["headers"]}


def test_call_is_forwarded_to_the_exact_version_path_with_query(base: str, client: httpx.Client) -> None:
    response = client.get(f"{base}/pub/job/adder/latest/api/v1/perform?x=1&y=%20z", headers=AUTH)
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == "/pub/job/adder/0.0.2/api/v1/perform"
    assert echoed["query"] == "x=1&y=%20z"
    assert response.headers["x-job-header"] == "yes"


@pytest.mark.parametrize("prefix", ["/pub/job", "/job", "/pub/fatman", "/fatman"])
def test_job_routes_are_served_raw_and_under_the_service_name(
    base: str, client: httpx.Client, prefix: str
) -> None:
    response = client.get(f"{base}{prefix}/adder/0.0.2/echo", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["path"] == "/pub/job/adder/0.0.2/echo"


def test_custom_service_name_prefix(lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(service_name="gateway")
    assert httpx.get(f"{base}/gateway/job/adder/0.0.2/echo", headers=AUTH).status_code == 200
    assert httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH).status_code == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "POST"])
def test_every_method_is_forwarded_without_an_accept_header(
    base: str, client: httpx.Client, method: str
) -> None:
    response = client.request(method, f"{base}/pub/job/adder/0.0.2/echo", headers={**AUTH, "Accept": ""})
    assert response.status_code == 200
    assert response.json()["method"] == method


def test_head_is_forwarded(base: str, client: httpx.Client, job: JobReplica) -> None:
    response = client.head(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH)
    assert response.status_code == 200
    assert job.control.requests[-1]["method"] == "HEAD"


def test_empty_job_path_and_trailing_slash_are_preserved(base: str, client: httpx.Client) -> None:
    assert client.get(f"{base}/pub/job/adder/0.0.2", headers=AUTH).json()["path"] == "/pub/job/adder/0.0.2"
    slash = client.get(f"{base}/pub/job/adder/0.0.2/docs/", headers=AUTH).json()
    assert slash["path"] == "/pub/job/adder/0.0.2/docs/"


def test_percent_encoding_of_the_job_path_is_kept(base: str, client: httpx.Client) -> None:
    echoed = client.get(f"{base}/pub/job/adder/0.0.2/files/a%2Fb%20c", headers=AUTH).json()
    assert echoed["raw_path"] == "/pub/job/adder/0.0.2/files/a%2Fb%20c"


def test_leading_double_slash_of_the_job_path_is_collapsed(base: str, client: httpx.Client) -> None:
    echoed = client.get(f"{base}/pub/job/adder/0.0.2//echo", headers=AUTH).json()
    assert echoed["path"] == "/pub/job/adder/0.0.2/echo"


def test_dot_segments_are_rejected(base: str, lifecycle: FakeLifecycle) -> None:
    # httpx normalises "..", so send the raw request line
    with httpx.Client() as raw:
        request = raw.build_request("GET", f"{base}/pub/job/adder/0.0.2/x", headers=AUTH)
        request.url = request.url.copy_with(raw_path=b"/pub/job/adder/0.0.2/%2e%2e/%2e%2e/other/1/x")
        response = raw.send(request)
    assert response.status_code == 400
    assert "'..'" in response.json()["error"]
    assert lifecycle.calls == []


@pytest.mark.parametrize("path", ["/pub/job/adder", "/pub/job/adder/", "/pub/job/", "/pub/job"])
def test_missing_name_or_version_is_a_bad_request(base: str, client: httpx.Client, path: str) -> None:
    response = client.get(f"{base}{path}", headers=AUTH)
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("Proxy request error: Couldn't extract job")
    assert body["requestId"] == response.headers["x-request-tracing-id"]


def test_tracing_id_is_generated_forwarded_and_returned(base: str, client: httpx.Client) -> None:
    response = client.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH)
    tracing_id = response.headers["x-request-tracing-id"]
    assert len(tracing_id) == 36
    assert headers_of(response)["x-request-tracing-id"] == tracing_id


def test_tracing_id_from_the_client_is_propagated(
    base: str, client: httpx.Client, lifecycle: FakeLifecycle
) -> None:
    response = client.get(
        f"{base}/pub/job/adder/0.0.2/echo", headers={**AUTH, "X-Request-Tracing-Id": "trace-1"}
    )
    assert response.headers["x-request-tracing-id"] == "trace-1"
    assert headers_of(response)["x-request-tracing-id"] == "trace-1"
    assert lifecycle.calls[-1]["headers"]["x-request-tracing-id"] == "trace-1"


def test_tracing_header_name_is_configurable(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(request_tracing_header="traceparent")
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers={**AUTH, "traceparent": "00-abc-def-01"})
    assert response.headers["traceparent"] == "00-abc-def-01"
    assert headers_of(response)["traceparent"] == "00-abc-def-01"
    assert lifecycle.calls[-1]["headers"]["traceparent"] == "00-abc-def-01"


def test_caller_header_is_overwritten_with_lifecycles_caller(base: str, client: httpx.Client) -> None:
    response = client.get(
        f"{base}/pub/job/adder/0.0.2/echo", headers={**AUTH, "X-Caller-Name": "User spoofed"}
    )
    assert headers_of(response)["x-caller-name"] == "User admin"


def test_client_supplied_caller_header_is_removed_on_public_endpoints(
    base: str, client: httpx.Client, lifecycle: FakeLifecycle, job: JobReplica
) -> None:
    lifecycle.public.add(("adder", "/public"))
    client.get(f"{base}/pub/job/adder/0.0.2/public", headers={"X-Caller-Name": "User spoofed"})
    client.get(f"{base}/pub/job/adder/0.0.2/health", headers={"X-Caller-Name": "User spoofed"})
    assert len(job.control.requests) == 2
    for request in job.control.requests:
        assert "x-caller-name" not in {k for k, _ in request["headers"]}


def test_caller_header_name_is_configurable(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(caller_name_header="X-Who")
    response = httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers={**AUTH, "X-Who": "me"})
    assert headers_of(response)["x-who"] == "User admin"


def test_pubs_credentials_never_reach_the_job(base: str, client: httpx.Client) -> None:
    headers = {
        **AUTH,
        "X-Racetrack-Esc-Auth": "esc-secret",
        "X-Racetrack-User-Auth": "user-secret",
        "X-Racetrack-Fatman-Auth": "fatman-secret",
        "Cookie": "theme=dark; X-Racetrack-Auth=cookie-secret; x-racetrack-user-auth=u; session=abc",
    }
    response = client.get(f"{base}/pub/job/adder/0.0.2/echo", headers=headers)
    echoed = headers_of(response)
    assert not [name for name in echoed if name.startswith("x-racetrack")]
    assert echoed["cookie"] == "theme=dark; session=abc"
    assert "secret" not in str(response.json())


def test_cookie_header_is_dropped_when_only_auth_cookies_were_sent(
    base: str, client: httpx.Client, lifecycle: FakeLifecycle
) -> None:
    lifecycle.tokens["cookie-token"] = "User cookie"
    response = client.get(
        f"{base}/pub/job/adder/0.0.2/echo", headers={"Cookie": "X-Racetrack-Auth=cookie-token"}
    )
    assert response.status_code == 200
    assert "cookie" not in headers_of(response)


def test_forwarded_headers_describe_the_original_request(base: str, client: httpx.Client) -> None:
    response = client.get(f"{base}/pub/job/adder/0.0.2/echo", headers={**AUTH, "X-Forwarded-For": "10.0.0.1"})
    echoed = headers_of(response)
    assert echoed["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"
    assert echoed["x-forwarded-host"] == base.removeprefix("http://")
    assert echoed["x-forwarded-proto"] == "http"
    assert echoed["host"] == response.json()["replica"]


def test_forwarded_host_and_proto_set_by_an_ingress_are_kept(base: str, client: httpx.Client) -> None:
    headers = {**AUTH, "X-Forwarded-Host": "racetrack.example.com", "X-Forwarded-Proto": "https"}
    echoed = headers_of(client.get(f"{base}/pub/job/adder/0.0.2/echo", headers=headers))
    assert echoed["x-forwarded-host"] == "racetrack.example.com"
    assert echoed["x-forwarded-proto"] == "https"


def test_hop_by_hop_headers_are_not_forwarded(base: str, client: httpx.Client) -> None:
    headers = {
        **AUTH,
        "Connection": "keep-alive, X-Private",
        "X-Private": "1",
        "TE": "trailers",
        "Upgrade": "h2c",
    }
    echoed = headers_of(client.get(f"{base}/pub/job/adder/0.0.2/echo", headers=headers))
    assert "x-private" not in echoed
    assert "te" not in echoed
    assert "upgrade" not in echoed
    assert echoed.get("connection", "keep-alive") == "keep-alive"


def test_no_headers_are_invented_for_the_job(base: str, client: httpx.Client) -> None:
    raw = httpx.Client(headers={})
    request = raw.build_request("GET", f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH)
    for name in ("accept", "accept-encoding", "user-agent"):
        request.headers.pop(name, None)
    echoed = headers_of(raw.send(request))
    raw.close()
    assert "user-agent" not in echoed
    assert "accept-encoding" not in echoed
    assert "content-type" not in echoed


def test_post_body_is_forwarded_with_its_length(base: str, client: httpx.Client) -> None:
    response = client.post(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH, json={"numbers": [40, 2]})
    echoed = response.json()
    assert echoed["body"] == '{"numbers":[40,2]}'
    assert headers_of(response)["content-length"] == str(len(echoed["body"]))
    assert headers_of(response)["content-type"] == "application/json"


def test_chunked_request_body_is_streamed_to_the_job(base: str, client: httpx.Client) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(50):
            yield b"y" * 100_000

    response = client.post(f"{base}/pub/job/adder/0.0.2/upload", headers=AUTH, content=body())
    assert response.status_code == 200
    assert response.json() == {"received": 5_000_000}


def test_body_over_the_limit_is_rejected_by_its_content_length(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(max_body_bytes=1000)
    ok = httpx.post(f"{base}/pub/job/adder/0.0.2/upload", headers=AUTH, content=b"a" * 1000)
    assert ok.json() == {"received": 1000}
    response = httpx.post(f"{base}/pub/job/adder/0.0.2/upload", headers=AUTH, content=b"a" * 1001)
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["error"]


def test_chunked_body_over_the_limit_is_rejected(
    lifecycle: FakeLifecycle, job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub(max_body_bytes=100_000)

    def body() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 10_000

    response = httpx.post(f"{base}/pub/job/adder/0.0.2/upload", headers=AUTH, content=body())
    assert response.status_code == 413


def test_response_streams_first_chunk_before_the_job_finishes(
    base: str, client: httpx.Client, job: JobReplica
) -> None:
    with client.stream("GET", f"{base}/pub/job/adder/0.0.2/stream", headers=AUTH) as response:
        chunks = response.iter_raw()
        assert next(chunks) == b"first chunk\n"
        assert not job.control.stream_finished.is_set()
        job.control.release_stream.set()
        assert b"".join(chunks) == b"second chunk\n"


def test_large_response_arrives_intact(base: str, client: httpx.Client) -> None:
    response = client.get(f"{base}/pub/job/adder/0.0.2/big?bytes=3000000", headers=AUTH)
    assert response.status_code == 200
    assert response.content == b"x" * 3_000_000
    assert response.headers["content-length"] == "3000000"


def test_client_leaving_an_endless_stream_stops_the_job_stream(
    base: str, client: httpx.Client, job: JobReplica
) -> None:
    with client.stream("GET", f"{base}/pub/job/adder/0.0.2/endless", headers=AUTH) as response:
        chunks = response.iter_raw()
        next(chunks)
        next(chunks)
    assert job.control.stream_cancelled.wait(5)


def test_redirect_to_the_jobs_internal_address_is_made_host_relative(base: str, client: httpx.Client) -> None:
    response = client.get(f"{base}/pub/job/adder/latest/redirect", headers=AUTH)
    assert response.status_code == 302
    assert response.headers["location"] == "/pub/job/adder/0.0.2/echo?from=redirect"


def test_redirect_to_another_site_is_left_alone(base: str, client: httpx.Client) -> None:
    response = client.get(f"{base}/pub/job/adder/0.0.2/external-redirect", headers=AUTH)
    assert response.headers["location"] == "https://example.org/login"


def test_server_timing_reports_gateway_and_job_time(base: str, client: httpx.Client) -> None:
    response = client.get(f"{base}/pub/job/adder/0.0.2/slow?seconds=0.2", headers=AUTH)
    gateway, job_part = (part.strip() for part in response.headers["server-timing"].split(","))
    assert gateway.startswith("gateway;dur=")
    assert job_part.startswith("job;dur=")
    assert float(job_part.split("=")[1]) >= 200
    assert float(gateway.split("=")[1]) < 200


def test_job_errors_pass_through_untouched(base: str, client: httpx.Client) -> None:
    response = client.get(f"{base}/pub/job/adder/0.0.2/error", headers=AUTH)
    assert response.status_code == 500
    assert response.json() == {"error": "job's own failure"}


def test_job_cookies_are_not_kept_by_pub(base: str, job: JobReplica) -> None:
    httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH)  # the job sets "job=1"
    second = httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH).json()
    assert "cookie" not in {k for k, _ in second["headers"]}


def test_calls_are_spread_round_robin_over_replicas(
    lifecycle: FakeLifecycle, job: JobReplica, second_job: JobReplica, pub: PubFactory
) -> None:
    lifecycle.add_job("adder", "0.0.2", [job.address, second_job.address])
    lifecycle.tokens[TOKEN] = "User admin"
    base = pub()
    replicas = [
        httpx.get(f"{base}/pub/job/adder/0.0.2/echo", headers=AUTH).json()["replica"] for _ in range(6)
    ]
    assert replicas.count(job.address) == 3
    assert replicas.count(second_job.address) == 3


def test_concurrent_calls_do_not_block_each_other(base: str, job: JobReplica) -> None:
    met: list[bool] = []
    url = f"{base}/pub/job/adder/0.0.2/meet?group={uuid.uuid4().hex}&size=8"

    def call() -> None:
        met.append(httpx.get(url, headers=AUTH, timeout=30).json()["met"])

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert met == [True] * 8, "PUB held calls back: the eight never reached the job together"
