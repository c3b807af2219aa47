"""Prefixes, redirects, 404/405 and CORS."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory, write_job

pytestmark = pytest.mark.anyio
ENV = {"JOB_NAME": "adder", "JOB_VERSION": "0.0.2"}


@pytest.fixture
def client(jobs: AppFactory):
    return jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel", ENV)


@pytest.mark.parametrize(
    "prefix",
    ["", "/pub/job/adder/0.0.2", "/pub/job/adder/latest", "/pub/job/adder/0.x", "/pub/fatman/adder/v"],
)
async def test_perform_is_reachable_under_every_prefix(client, prefix: str) -> None:
    response = await client.post(prefix + "/api/v1/perform", json={"numbers": [1, 2]})
    assert (response.status_code, response.json()) == (200, 3)


async def test_prefix_without_trailing_slash_redirects_to_it(client) -> None:
    response = await client.get("/pub/job/adder/latest?x=1")
    assert response.status_code == 307
    assert response.headers["location"] == "/pub/job/adder/latest/?x=1"


async def test_root_redirects_to_the_home_page_under_the_exact_version(client) -> None:
    for url in ("/", "/pub/job/adder/latest/"):
        response = await client.get(url)
        assert response.status_code == 302
        assert response.headers["location"] == "/pub/job/adder/0.0.2/docs"


async def test_home_page_comes_from_jobtype_extra_in_job_yaml(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-ui-flask", "entrypoint.py", "JobEntrypoint", ENV)
    assert (await client.get("/")).headers["location"] == "/pub/job/adder/0.0.2/api/v1/webview"


@pytest.mark.parametrize("key", ["jobtype_extra", "python", "wrapper_properties", "golang"])
async def test_home_page_is_read_from_deprecated_aliases_too(
    jobs: AppFactory, tmp_path: Path, key: str
) -> None:
    manifest = f"name: x\n{key}:\n  entrypoint_path: entrypoint.py\n  home_page: api/v1/webview/\n"
    directory = write_job(tmp_path, "class A:\n    pass\n", manifest=manifest)
    client = jobs.client(directory)
    assert (await client.get("/")).headers["location"] == "/api/v1/webview/"


async def test_unknown_path_is_a_404_json_error(client) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "path not found: GET /nowhere", "type": "NotFound"}
    assert (await client.get("/pub/job/adder")).status_code == 404


async def test_wrong_method_is_a_405_with_allow_header(client) -> None:
    response = await client.get("/api/v1/perform")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    response = await client.post("/api/v1/parameters")
    assert (response.status_code, response.headers["allow"]) == (405, "GET")


async def test_trailing_slash_on_an_endpoint_is_accepted(client) -> None:
    response = await client.post("/api/v1/perform/", json={"numbers": [1]})
    assert response.json() == 1


async def test_cors_preflight_allows_any_origin_method_and_header(client) -> None:
    response = await client.options(
        "/pub/job/adder/latest/api/v1/perform",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-racetrack-auth, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "x-racetrack-auth, content-type"


async def test_cors_headers_are_added_to_responses_of_cross_origin_calls(client, jobs: AppFactory) -> None:
    headers = {"Origin": "https://app.example.com"}
    response = await client.post("/api/v1/perform", json={"numbers": [1]}, headers=headers)
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert (
        "access-control-allow-origin"
        not in (await client.post("/api/v1/perform", json={"numbers": []})).headers
    )
    flask = jobs.client(SAMPLES / "python-ui-flask", "entrypoint.py", "JobEntrypoint")
    webview = await flask.get("/api/v1/webview/", headers=headers)
    assert webview.headers["access-control-allow-origin"] == "https://app.example.com"
