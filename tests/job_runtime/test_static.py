"""Static endpoints: files and directories served by GET."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from racetrack_job_runtime.errors import InitError

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory, write_job

pytestmark = pytest.mark.anyio
SAMPLE = SAMPLES / "python-static-endpoints"


async def test_sample_serves_files_with_explicit_or_guessed_mimetypes(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLE, "entrypoint.py", "JobEntrypoint")
    manifest = await client.get("/api/v1/manifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"] == "application/x-yaml"
    assert manifest.text == (SAMPLE / "job.yaml").read_text()
    readme = await client.get("/api/v1/docs/readme")
    assert readme.headers["content-type"] == "text/markdown"
    assert readme.text == (SAMPLE / "README.md").read_text()
    xrai = await client.get("/api/v1/xrai")
    assert xrai.status_code == 200
    assert "intelligence" in xrai.text


async def test_directory_is_served_recursively_but_not_itself(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLE, "entrypoint.py", "JobEntrypoint")
    data = await client.get("/api/v1/assets/nested/data.json")
    assert data.headers["content-type"] == "application/json"
    assert data.json() == {"served_from": "assets/nested/data.json"}
    assert (await client.get("/api/v1/assets/hello.html")).headers["content-type"] == "text/html"
    assert (await client.get("/api/v1/assets")).status_code == 404
    assert (await client.get("/api/v1/assets/../job.yaml")).status_code == 404


async def test_unknown_mimetype_is_served_as_text_plain_with_a_warning(
    jobs: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "data.unknownext").write_text("x")
    source = """
    class Model:
        def static_endpoints(self):
            return {"/data": "data.unknownext"}
    """
    with caplog.at_level(logging.WARNING):
        client = jobs.client(write_job(tmp_path, source))
    assert (await client.get("/api/v1/data")).headers["content-type"] == "text/plain"
    assert any("cannot guess the mimetype" in r.getMessage() for r in caplog.records)


async def test_file_content_is_read_on_each_request_but_new_files_are_not_served(
    jobs: AppFactory, tmp_path: Path
) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.txt").write_text("one")
    source = """
    class Model:
        def static_endpoints(self):
            return {"/files/": "dir"}
    """
    client = jobs.client(write_job(tmp_path, source))
    assert (await client.get("/api/v1/files/a.txt")).text == "one"
    (tmp_path / "dir" / "a.txt").write_text("two")
    (tmp_path / "dir" / "b.txt").write_text("new")
    assert (await client.get("/api/v1/files/a.txt")).text == "two"
    assert (await client.get("/api/v1/files/b.txt")).status_code == 404


def test_missing_static_file_is_an_init_error(jobs: AppFactory, tmp_path: Path) -> None:
    source = """
    class Model:
        def static_endpoints(self):
            return {"/gone": "missing.txt"}
    """
    with pytest.raises(InitError, match="^static file doesn't exist: missing.txt$"):
        jobs.app(write_job(tmp_path, source))
