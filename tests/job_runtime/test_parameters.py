"""GET /api/v1/parameters and jobs without a perform method."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory, write_job

pytestmark = pytest.mark.anyio


async def test_parameters_list_required_first_then_optional_with_defaults_and_types(
    jobs: AppFactory, tmp_path: Path
) -> None:
    source = """
    from typing import List, Optional

    class Model:
        def perform(self, text, numbers: List[float], scale: float = 1.5, *, mode: str = "fast",
                    limit: Optional[int] = None, flag, **extra):
            return 0
    """
    client = jobs.client(write_job(tmp_path, source))
    response = await client.get("/api/v1/parameters")
    assert response.status_code == 200
    assert response.json() == [
        {"name": "text", "type": None},
        {"name": "numbers", "type": "List[float]"},
        {"name": "flag", "type": None},
        {"name": "scale", "default_value": 1.5, "type": "float"},
        {"name": "mode", "default_value": "fast", "type": "str"},
        {"name": "limit", "default_value": None, "type": "Optional[int]"},
    ]


async def test_parameters_of_the_adder_sample(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel")
    assert (await client.get("/api/v1/parameters")).json() == [{"name": "numbers", "type": "list[float]"}]


async def test_job_without_perform_starts_and_answers_400_on_perform_and_parameters(
    jobs: AppFactory, tmp_path: Path
) -> None:
    source = """
    class Ui:
        def webview_app(self, base_url):
            async def app(scope, receive, send):
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"ui"})
            return app
    """
    client = jobs.client(write_job(tmp_path, source))
    for response in (await client.post("/api/v1/perform", json={}), await client.get("/api/v1/parameters")):
        assert response.status_code == 400
        assert response.json()["error"] == "entrypoint doesn't have 'perform' method implemented"
    assert (await client.get("/api/v1/webview/")).text == "ui"
    assert (await client.get("/health")).status_code == 200
