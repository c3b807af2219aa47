"""Webview: WSGI (Flask sample) and ASGI apps at /api/v1/webview, and the static/ directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from racetrack_job_runtime.errors import InitError

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory, write_job

pytestmark = pytest.mark.anyio
FLASK = SAMPLES / "python-ui-flask"
ENV = {"JOB_NAME": "python-ui-flask", "JOB_VERSION": "0.0.2"}
BASE = "/pub/job/python-ui-flask/0.0.2/api/v1/webview"

ASGI_SOURCE = """
import json

class Model:
    def perform(self):
        return 0

    def webview_app(self, base_url):
        async def app(scope, receive, send):
            message = await receive()
            body = json.dumps({
                "path": scope["path"],
                "root_path": scope["root_path"],
                "method": scope["method"],
                "body": message.get("body", b"").decode(),
                "base_url": base_url,
            }).encode()
            await send({"type": "http.response.start", "status": 201,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
        return app
"""


async def test_flask_sample_renders_its_index_page_with_base_url_links(jobs: AppFactory) -> None:
    client = jobs.client(FLASK, "entrypoint.py", "JobEntrypoint", ENV)
    response = await client.get("/pub/job/python-ui-flask/latest/api/v1/webview/")
    assert response.status_code == 200
    assert "Hello world. Here's a webview." in response.text
    assert f'href="{BASE}/static/style.css"' in response.text


async def test_webview_without_trailing_slash_is_its_root(jobs: AppFactory) -> None:
    client = jobs.client(FLASK, "entrypoint.py", "JobEntrypoint", ENV)
    response = await client.get("/pub/job/python-ui-flask/0.0.2/api/v1/webview")
    assert response.status_code == 200
    assert "Hello world" in response.text


async def test_static_directory_is_served_under_the_webview(jobs: AppFactory) -> None:
    client = jobs.client(FLASK, "entrypoint.py", "JobEntrypoint", ENV)
    response = await client.get("/pub/job/python-ui-flask/latest/api/v1/webview/static/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css"
    assert response.text == (FLASK / "static" / "style.css").read_text()


async def test_flask_postme_echoes_the_json_body(jobs: AppFactory) -> None:
    client = jobs.client(FLASK, "entrypoint.py", "JobEntrypoint", ENV)
    response = await client.post("/api/v1/webview/postme", json="World")
    assert response.status_code == 200
    assert response.json() == {"hello": "World"}


@pytest.mark.parametrize(
    "url",
    [
        "/pub/job/python-ui-flask/latest/api/v1/webview/describe?a=1",
        "/pub/fatman/python-ui-flask/1.x/api/v1/webview/describe?a=1",
        "/api/v1/webview/describe?a=1",
    ],
)
async def test_wsgi_app_sees_the_full_base_url_path_whatever_the_prefix(jobs: AppFactory, url: str) -> None:
    client = jobs.client(FLASK, "entrypoint.py", "JobEntrypoint", ENV)
    response = await client.post(url, content=b"payload", headers={"X-Caller-Name": "User ann"})
    assert response.status_code == 200
    described = response.json()
    assert described["method"] == "POST"
    assert described["path"] == BASE + "/describe"
    assert described["full_path"] == BASE + "/describe?a=1"
    assert described["body"] == "payload"
    assert described["headers"]["X-Caller-Name"] == "User ann"
    assert described["host"] == "testserver"


async def test_flask_custom_404_is_passed_through(jobs: AppFactory) -> None:
    client = jobs.client(FLASK, "entrypoint.py", "JobEntrypoint", ENV)
    response = await client.get("/api/v1/webview/nothing-here")
    assert response.status_code == 404
    assert response.text == f"requested path was not found: {BASE}/nothing-here"


async def test_flask_sample_perform_still_works(jobs: AppFactory) -> None:
    client = jobs.client(FLASK, "entrypoint.py", "JobEntrypoint", ENV)
    assert (await client.post("/api/v1/perform", json={"numbers": [40, 2]})).json() == 42


async def test_asgi_app_sees_the_path_relative_to_the_webview_root(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(write_job(tmp_path, ASGI_SOURCE), env={"JOB_NAME": "ui", "JOB_VERSION": "1.0.0"})
    response = await client.put("/pub/job/ui/latest/api/v1/webview/view", content=b"data")
    assert response.status_code == 201
    assert response.json() == {
        "path": "/view",
        "root_path": "/pub/job/ui/latest/api/v1/webview",
        "method": "PUT",
        "body": "data",
        "base_url": "/pub/job/ui/1.0.0/api/v1/webview",
    }
    root = (await client.get("/api/v1/webview")).json()
    assert root["path"] == "/"
    assert root["root_path"] == "/api/v1/webview"


async def test_fastapi_app_works_as_an_asgi_webview(jobs: AppFactory, tmp_path: Path) -> None:
    source = """
    from fastapi import FastAPI
    from fastapi.responses import RedirectResponse

    class Model:
        def webview_app(self, base_url):
            app = FastAPI()

            @app.get("/")
            def index():
                return RedirectResponse(base_url + "/view")

            @app.get("/view")
            def view(data: str = ""):
                return {"data": data}

            return app
    """
    client = jobs.client(write_job(tmp_path, source), env={"JOB_NAME": "docs", "JOB_VERSION": "1.0.0"})
    response = await client.get("/pub/job/docs/latest/api/v1/webview/")
    assert response.status_code == 307
    assert response.headers["location"] == "/pub/job/docs/1.0.0/api/v1/webview/view"
    assert (await client.get("/pub/job/docs/latest/api/v1/webview/view?data=x")).json() == {"data": "x"}


async def test_no_webview_answers_404(jobs: AppFactory, tmp_path: Path) -> None:
    source = """
    class Model:
        def perform(self):
            return 0
        def webview_app(self, base_url):
            return None
    """
    client = jobs.client(write_job(tmp_path, source))
    assert (await client.get("/api/v1/webview/")).status_code == 404


def test_webview_app_with_wrong_arity_is_an_init_error(jobs: AppFactory, tmp_path: Path) -> None:
    source = """
    class Model:
        def webview_app(self, base_url):
            return lambda environ: None
    """
    with pytest.raises(
        InitError, match="webview app must take 2 arguments \\(WSGI\\) or 3 arguments \\(ASGI\\)"
    ):
        jobs.app(write_job(tmp_path, source))


async def test_wsgi_exception_answers_500(jobs: AppFactory, tmp_path: Path) -> None:
    source = """
    class Model:
        def webview_app(self, base_url):
            def app(environ, start_response):
                raise RuntimeError("broken page")
            return app
    """
    client = jobs.client(write_job(tmp_path, source))
    assert (await client.get("/api/v1/webview/")).status_code == 500


async def test_wsgi_streamed_response_arrives_whole(jobs: AppFactory, tmp_path: Path) -> None:
    source = """
    class Model:
        def webview_app(self, base_url):
            def app(environ, start_response):
                write = start_response("200 OK", [("Content-Type", "text/plain")])
                write(b"a")
                return iter([b"b", b"", b"c", b"d"])
            return app
    """
    client = jobs.client(write_job(tmp_path, source))
    response = await client.get("/api/v1/webview/")
    assert response.status_code == 200
    assert response.text == "abcd"


async def test_webview_request_body_over_the_limit_is_a_413(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(write_job(tmp_path, ASGI_SOURCE), env={"RUNTIME_MAX_BODY_BYTES": "10"})
    response = await client.post("/api/v1/webview/upload", content=b"x" * 11)
    assert (response.status_code, response.json()["type"]) == (413, "PayloadTooLarge")
    flask = jobs.client(FLASK, "entrypoint.py", "JobEntrypoint", {**ENV, "RUNTIME_MAX_BODY_BYTES": "10"})
    assert (await flask.post("/api/v1/webview/postme", content=b"x" * 11)).status_code == 413
