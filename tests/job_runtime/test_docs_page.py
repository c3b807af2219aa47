"""API docs: the OpenAPI document, the Swagger UI page and its locally served assets, and the
validation of docs input examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from racetrack_job_runtime.errors import InitError

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory, write_job

pytestmark = pytest.mark.anyio
ENV = {"JOB_NAME": "python-auxiliary-endpoints", "JOB_VERSION": "0.0.2"}


async def test_openapi_document_describes_the_job(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-auxiliary-endpoints", "entrypoint.py", "JobEntrypoint", ENV)
    doc = (await client.get("/pub/job/python-auxiliary-endpoints/latest/openapi.json")).json()
    assert doc["info"] == {
        "title": "Job - python-auxiliary-endpoints",
        "description": "Job Module wrapped in a REST server",
        "version": "0.0.2",
    }
    assert [s["url"] for s in doc["servers"]] == ["/pub/job/python-auxiliary-endpoints/0.0.2", "/"]
    scheme = next(iter(doc["components"]["securitySchemes"].values()))
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-Racetrack-Auth"}
    perform = doc["paths"]["/api/v1/perform"]["post"]
    assert perform["summary"] == "Call main action"
    assert perform["description"].startswith("Add two numbers.")
    body = perform["requestBody"]["content"]["application/json"]
    assert body["example"] == {"x": 40, "y": 2}
    assert body["schema"]["properties"] == {"x": {"type": "number"}, "y": {"type": "number"}}
    explain = doc["paths"]["/api/v1/explain"]["post"]
    assert explain["summary"] == "Call auxiliary endpoint: /explain"
    assert explain["requestBody"]["content"]["application/json"]["example"] == {"x": 1, "y": 2}
    assert list(doc["paths"]).index("/api/v1/explain") < list(doc["paths"]).index("/api/v1/random")
    assert doc["paths"]["/health"]["get"]["security"] == []


async def test_openapi_lists_static_and_webview_endpoints(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-ui-flask", "entrypoint.py", "JobEntrypoint")
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "get" in paths["/api/v1/webview/{path}"]
    client = jobs.client(SAMPLES / "python-static-endpoints", "entrypoint.py", "JobEntrypoint")
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/v1/manifest" in paths and "/api/v1/assets/nested/data.json" in paths


async def test_docs_page_is_swagger_ui_with_local_assets_only(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-auxiliary-endpoints", "entrypoint.py", "JobEntrypoint", ENV)
    page = await client.get("/pub/job/python-auxiliary-endpoints/latest/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Job - python-auxiliary-endpoints</title>" in page.text
    assert "displayRequestDuration: true" in page.text
    assert '"/pub/job/python-auxiliary-endpoints/latest/openapi.json"' in page.text
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text), "no CDN links"
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100
    css = await client.get("/docs/assets/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")
    js = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in js.text
    assert (await client.get("/docs/assets/../job.yaml")).status_code == 404
    assert (await client.get("/docs/assets/index.html")).status_code == 404


def _job_with_example(tmp_path: Path, example: str) -> Path:
    source = f"""
    import datetime

    class Model:
        def perform(self, **kwargs):
            return 0
        def docs_input_example(self):
            return {example}
    """
    return write_job(tmp_path, source)


def test_docs_example_must_be_a_dict(jobs: AppFactory, tmp_path: Path) -> None:
    with pytest.raises(
        InitError, match="^invalid docs input example: input example \\(for /perform endpoint\\)"
    ):
        jobs.app(_job_with_example(tmp_path, "[1, 2]"))


def test_docs_example_must_encode_to_json(jobs: AppFactory, tmp_path: Path) -> None:
    with pytest.raises(InitError, match="invalid docs input example: .* can't be encoded to JSON"):
        jobs.app(_job_with_example(tmp_path, "{'x': object()}"))


def test_docs_example_must_not_exceed_one_mebibyte(jobs: AppFactory, tmp_path: Path) -> None:
    with pytest.raises(
        InitError,
        match=re.escape(
            "invalid docs input example: input example (for /perform endpoint) encoded to JSON "
            "(1048584 bytes) exceeds maximum size (1048576 bytes)"
        ),
    ):
        jobs.app(_job_with_example(tmp_path, "{'x': 'a' * (1024 * 1024)}"))
    jobs.app(_job_with_example(tmp_path, "{'x': 'a' * (1024 * 1024 - 10)}"))


def test_docs_examples_are_validated_per_auxiliary_endpoint(jobs: AppFactory, tmp_path: Path) -> None:
    source = """
    class Model:
        def perform(self):
            return 0
        def docs_input_examples(self):
            return {"/perform": {}, "/other": "text"}
    """
    with pytest.raises(InitError, match="input example \\(for /other endpoint\\) must be a dict"):
        jobs.app(write_job(tmp_path, source))


async def test_docs_input_examples_win_over_docs_input_example_for_perform(
    jobs: AppFactory, tmp_path: Path
) -> None:
    source = """
    class Model:
        def perform(self, x=0):
            return x
        def docs_input_example(self):
            return {"x": 1}
        def docs_input_examples(self):
            return {"perform": {"x": 2}}
    """
    client = jobs.client(write_job(tmp_path, source))
    doc = (await client.get("/openapi.json")).json()
    assert doc["paths"]["/api/v1/perform"]["post"]["requestBody"]["content"]["application/json"][
        "example"
    ] == {"x": 2}
