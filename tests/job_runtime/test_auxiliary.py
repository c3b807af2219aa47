"""Auxiliary endpoints: extra POST endpoints with the call semantics of perform."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from racetrack_job_runtime.errors import InitError

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory, write_job

pytestmark = pytest.mark.anyio
SAMPLE = SAMPLES / "python-auxiliary-endpoints"


async def test_sample_auxiliary_endpoint_explains_the_sum(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLE, "entrypoint.py", "JobEntrypoint")
    response = await client.post("/api/v1/explain", json={"x": 1, "y": 2})
    assert response.status_code == 200
    assert response.json() == pytest.approx({"x_importance": 1 / 3, "y_importance": 2 / 3})
    value = (await client.post("/api/v1/random", json={"start": 5, "end": 6})).json()
    assert 5 <= value <= 6
    assert (await client.post("/api/v1/perform", json={"x": 40, "y": 2})).json() == 42


async def test_auxiliary_endpoints_map_errors_like_perform(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLE, "entrypoint.py", "JobEntrypoint")
    response = await client.post("/api/v1/explain", json={"x": 1})
    assert response.status_code == 400
    assert response.json()["error"] == "failed to call a function: explain() missing 1 required argument: 'y'"
    response = await client.post("/api/v1/explain", json={"x": 0, "y": 0})
    assert response.status_code == 500
    assert response.json()["type"] == "ZeroDivisionError"


async def test_missing_leading_slash_is_added_and_only_post_is_served(
    jobs: AppFactory, tmp_path: Path
) -> None:
    source = """
    class Model:
        def perform(self):
            return 0
        def auxiliary_endpoints(self):
            return {"no/slash": self.other}
        def other(self):
            return "other"
    """
    client = jobs.client(write_job(tmp_path, source))
    assert (await client.post("/api/v1/no/slash")).json() == "other"
    response = await client.get("/api/v1/no/slash")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_auxiliary_calls_have_per_endpoint_metrics(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLE, "entrypoint.py", "JobEntrypoint")
    await client.post("/api/v1/explain", json={"x": 1, "y": 2})
    await client.post("/api/v1/explain", json={"x": 0, "y": 0})
    families = {f.name: f for f in text_string_to_metric_families((await client.get("/metrics")).text)}
    started = {s.labels["endpoint"]: s.value for s in families["endpoint_requests_started"].samples}
    assert started["/explain"] == 2
    errors = {s.labels["endpoint"]: s.value for s in families["request_internal_errors"].samples}
    assert errors["/explain"] == 1


def test_auxiliary_path_clashing_with_a_builtin_endpoint_is_an_init_error(
    jobs: AppFactory, tmp_path: Path
) -> None:
    source = """
    class Model:
        def perform(self):
            return 0
        def auxiliary_endpoints(self):
            return {"/parameters": self.perform}
    """
    with pytest.raises(InitError, match="auxiliary endpoint /parameters conflicts with a built-in endpoint"):
        jobs.app(write_job(tmp_path, source))
