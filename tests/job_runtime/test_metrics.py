"""GET /metrics: Prometheus exposition of built-in and custom metrics."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory, write_job

pytestmark = pytest.mark.anyio


def parse(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families: dict[str, Any], name: str, sample: str | None = None, **labels: str) -> float:
    for s in families[name].samples:
        if (sample is None or s.name == sample) and all(s.labels.get(k) == v for k, v in labels.items()):
            return float(s.value)
    raise AssertionError(f"no sample {sample or name} {labels}")


async def test_builtin_metrics_count_calls_requests_and_errors(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel")
    await client.post("/api/v1/perform", json={"numbers": [1, 2]})
    await client.post("/api/v1/perform", json={"numbers": [1, 2]})
    await client.post("/api/v1/perform", json={"wrong": 1})
    await client.get("/live")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = parse(response.text)
    assert families["request_duration"].type == "histogram"
    assert value(families, "request_duration", "request_duration_count", endpoint="/perform") == 3
    assert value(families, "request_duration", "request_duration_bucket", endpoint="/perform", le="+Inf") == 3
    assert value(families, "request_internal_errors", endpoint="/perform") == 1
    assert value(families, "requests_started") == 3
    assert value(families, "requests_done") == 3
    assert value(families, "endpoint_requests_started", endpoint="/perform") == 3
    assert value(families, "last_call_timestamp") > 1_600_000_000
    assert value(families, "commons_requests_started") == 5  # 3 calls, /live, /metrics
    assert value(families, "commons_requests_done") == 4
    assert value(families, "commons_request_duration", "commons_request_duration_count") == 4
    assert value(families, "commons_internal_server_errors") == 0
    buckets = [s.labels["le"] for s in families["request_duration"].samples if s.name.endswith("_bucket")]
    assert buckets[:3] == ["0.001", "0.0025", "0.005"] and buckets[-2:] == ["1000.0", "+Inf"]
    assert len(buckets) == 25


async def test_process_and_python_metrics_are_included(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel")
    families = parse((await client.get("/pub/job/adder/latest/metrics")).text)
    assert value(families, "process_resident_memory_bytes") > 1_000_000
    assert value(families, "process_cpu_seconds") > 0
    assert value(families, "process_start_time_seconds") > 1_600_000_000
    assert "python_info" in families and "python_gc_collections" in families


async def test_internal_server_errors_are_counted(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(
        write_job(tmp_path, "class A:\n    def perform(self):\n        raise OSError('disk')\n")
    )
    assert (await client.post("/api/v1/perform")).status_code == 500
    assert value(parse((await client.get("/metrics")).text), "commons_internal_server_errors") == 1


async def test_custom_metrics_of_the_sample_are_exported_as_gauges(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-metrics", "entrypoint.py", "JobEntrypoint")
    for _ in range(20):
        assert (await client.post("/api/v1/perform")).status_code == 200
    families = parse((await client.get("/metrics")).text)
    assert families["job_wasted_seconds"].type == "gauge"
    assert families["job_wasted_seconds"].documentation == "Seconds since the job started"
    assert value(families, "job_wasted_seconds") >= 0
    assert 0 <= value(families, "job_positives", color="blue") <= 20


async def test_custom_metric_items_are_validated_one_by_one(
    jobs: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = """
    class A:
        def metrics(self):
            return [
                {"name": "zero_value", "value": 0},
                {"name": "null_value", "value": None},
                {"value": 1},
                {"name": "no_value"},
                {"name": "bad name", "value": 1},
                {"name": "requests_started", "value": 1},
                {"name": "labelled", "value": 1.5, "labels": {"kind": 'a"b'}},
                {"name": "labelled", "value": 2, "labels": {"kind": "c"}},
            ]
    """
    client = jobs.client(write_job(tmp_path, source))
    with caplog.at_level(logging.ERROR):
        response = await client.get("/metrics")
    families = parse(response.text)
    assert value(families, "zero_value") == 0
    assert "null_value" not in families
    assert value(families, "labelled", kind='a"b') == 1.5
    assert value(families, "labelled", kind="c") == 2
    assert value(families, "requests_started") == 0  # the built-in one, not overridden
    messages = [r.getMessage() for r in caplog.records]
    assert sum("custom metric" in m and "skipped" in m for m in messages) == 4


async def test_exception_in_custom_metrics_keeps_builtin_metrics(
    jobs: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = """
    class A:
        def metrics(self):
            raise RuntimeError("metrics source down")
    """
    client = jobs.client(write_job(tmp_path, source))
    with caplog.at_level(logging.ERROR):
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert "requests_started" in parse(response.text)
    assert any(
        "collecting custom metrics failed: metrics source down" in r.getMessage() for r in caplog.records
    )
