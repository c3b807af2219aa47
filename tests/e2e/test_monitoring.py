"""Monitoring end to end: the Prometheus config in deploy/ scrapes a real ``racetrack up``, and
the discovery file Lifecycle writes leads to every running job's own /metrics."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.conftest import SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e

PROMETHEUS = Path(__file__).parents[2] / "deploy" / "prometheus" / "prometheus.yml"


def test_lifecycle_pub_and_jobs_answer_the_scrapes_prometheus_is_configured_for(
    cli: Cli, server: Server, admin_token: str
) -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {scrape["job_name"]: scrape for scrape in config["scrape_configs"]}
    for name in ("lifecycle", "pub"):
        response = httpx.get(f"{server.base_url}{jobs[name]['metrics_path']}")
        assert response.status_code == 200 and "# TYPE" in response.text, name
    sd_file = Path(jobs["racetrack-jobs"]["file_sd_configs"][0]["files"][0])
    assert sd_file.parts[-2:] == ("metrics", "sd_config_jobs.yaml")

    cli("deploy", str(SAMPLES / "python-class"), "--force")
    job = httpx.get(
        f"{server.remote}/api/v1/job/adder/latest", headers={"X-Racetrack-Auth": admin_token}
    ).json()
    replicas = sorted(job["replica_internal_names"] or [job["internal_name"]])
    discovered = server.data_dir / "plugin-bundles" / "metrics" / "sd_config_jobs.yaml"
    deadline = time.monotonic() + 30  # rewritten by the status loop (every 10 s)
    while True:
        groups = yaml.safe_load(discovered.read_text()) if discovered.is_file() else []
        listed = [sorted(g["targets"]) for g in groups or [] if g["labels"]["job_name"] == "adder"]
        if replicas in listed:
            break
        assert time.monotonic() < deadline, (
            f"adder's replicas {replicas} never listed in {discovered}: {groups}"
        )
        time.sleep(0.5)
    for target in replicas:
        metrics = httpx.get(f"http://{target}{jobs['racetrack-jobs']['metrics_path']}")
        assert metrics.status_code == 200 and "# TYPE" in metrics.text
