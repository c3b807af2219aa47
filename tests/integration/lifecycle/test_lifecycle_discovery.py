"""The Prometheus discovery file lists every running job's replicas, kept current by the
status loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import yaml
from fastapi import FastAPI

from racetrack.lifecycle.discovery import DISCOVERY_FILE
from tests.integration.lifecycle.lifecycle_support import TestClient, deploy, login


def wait_for_groups(path: Any, predicate: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        groups = yaml.safe_load(path.read_text()) if path.is_file() else None
        if groups is not None and predicate(groups):
            return groups
        assert time.monotonic() < deadline, f"discovery file never matched: {groups}"
        time.sleep(0.05)


def test_running_jobs_are_listed_for_prometheus(make_app: Callable[..., FastAPI]) -> None:
    app = make_app(sync_interval=0.1)
    path = app.state.lifecycle.settings.resolved_plugins_dir / DISCOVERY_FILE
    with TestClient(app) as client:
        headers = {"X-Racetrack-Auth": login(client)}
        assert wait_for_groups(path, lambda groups: True) == []
        deploy(client, headers, name="adder", version="0.0.1")
        groups = wait_for_groups(path, lambda groups: len(groups) == 1)
        (group,) = groups
        assert group["labels"] == {"job_name": "adder", "job_version": "0.0.1"}
        job = client.get("/lifecycle/api/v1/job/adder/0.0.1", headers=headers).json()
        assert group["targets"] == (job["replica_internal_names"] or [job["internal_name"]])
        client.delete("/lifecycle/api/v1/job/adder/0.0.1", headers=headers)
        assert wait_for_groups(path, lambda groups: groups == []) == []
