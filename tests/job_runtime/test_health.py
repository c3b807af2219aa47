"""/live, /ready and /health through the initialising, ready and failed phases."""

from __future__ import annotations

import re

import pytest
from racetrack_job_runtime.app import JobApp
from racetrack_job_runtime.errors import summarize
from racetrack_job_runtime.settings import Settings

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory, client_for

pytestmark = pytest.mark.anyio
ENV = {
    "JOB_NAME": "adder",
    "JOB_VERSION": "0.0.2",
    "JOB_DEPLOYMENT_TIMESTAMP": "1700000000",
    "GIT_VERSION": "abc123",
    "DEPLOYED_BY_RACETRACK_VERSION": "2.26.0",
    "JOB_TYPE_VERSION": "python3:1.0.0",
}


def _raise_chained() -> None:
    try:
        {}["model.pickle"]
    except KeyError as e:
        raise RuntimeError("loading model failed") from e


async def test_health_of_a_ready_job_reports_every_field(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel", ENV)
    live = await client.get("/live")
    assert live.status_code == 200
    assert live.headers["content-type"] == "application/json"
    assert live.json() == {"live": True, "deployment_timestamp": 1700000000}
    ready = await client.get("/ready")
    assert (ready.status_code, ready.json()) == (200, {"ready": True})
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {
        "service": "job",
        "job_name": "adder",
        "live": True,
        "ready": True,
        "status": "pass",
        "error": None,
        "job_version": "0.0.2",
        "git_version": "abc123",
        "deployed_by_racetrack_version": "2.26.0",
        "deployment_timestamp": 1700000000,
        "job_type_version": "python3:1.0.0",
    }


@pytest.mark.parametrize("prefix", ["", "/pub/job/adder/latest", "/pub/fatman/adder/0.0.2"])
@pytest.mark.parametrize("probe", ["/live", "/ready/", "/health"])
async def test_probes_answer_under_every_prefix(jobs: AppFactory, prefix: str, probe: str) -> None:
    client = jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel", ENV)
    assert (await client.get(prefix + probe)).status_code == 200


async def test_while_initialising_the_job_is_live_but_not_ready() -> None:
    app = JobApp(Settings.from_env(ENV))
    client = client_for(app)
    assert (await client.get("/live")).status_code == 200
    ready = await client.get("/ready")
    assert (ready.status_code, ready.json()) == (500, {"ready": False})
    health = await client.get("/health")
    assert health.status_code == 500
    assert health.json()["status"] == "fail"
    assert (health.json()["live"], health.json()["ready"]) == (True, False)
    perform = await client.post("/api/v1/perform", json={})
    assert perform.status_code == 503
    assert "initializing" in perform.json()["error"]
    assert (await client.get("/docs")).status_code == 200
    assert "/live" in (await client.get("/openapi.json")).json()["paths"]


async def test_after_an_init_failure_the_job_is_not_live_and_reports_the_summary() -> None:
    app = JobApp(Settings.from_env(ENV))
    try:
        _raise_chained()
    except RuntimeError as e:
        app.set_failed(summarize(e))
    client = client_for(app)
    live = await client.get("/live")
    assert live.status_code == 500
    body = live.json()
    assert body["live"] is False
    assert body["deployment_timestamp"] == 1700000000
    assert re.fullmatch(
        r"loading model failed, cause=KeyError, traceback=(\S+:\d+, )+\S+:\d+",
        body["error"],
    ), body["error"]
    assert "test_health.py:" in body["error"]
    health = (await client.get("/health")).json()
    assert (health["live"], health["status"], health["error"]) == (False, "fail", body["error"])
    perform = await client.post("/api/v1/perform", json={})
    assert perform.status_code == 503
    assert "job initialization failed" in perform.json()["error"]


async def test_missing_deployment_timestamp_is_reported_as_zero() -> None:
    client = client_for(JobApp(Settings.from_env({})))
    assert (await client.get("/live")).json()["deployment_timestamp"] == 0
