"""Lifecycle with the real plugins: the python3 job type, the local target and the local builder."""

from __future__ import annotations

import base64
import io
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from racetrack.lifecycle import LifecycleSettings, create_app
from racetrack.lifecycle.pipeline import LocalArtifactBuilder
from racetrack.lifecycle.services.crypto import load_cipher
from racetrack.plugins.engine import PluginEngine
from tests.integration.lifecycle.lifecycle_support import TestClient, login, wait_for_deployment

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "python-class"
API = "/lifecycle/api/v1"


@pytest.fixture(scope="session")
def builder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Environments and uv's cache shared by the tests of this module (builds are cached)."""
    return tmp_path_factory.mktemp("lifecycle-builds")


@pytest.fixture
def real_app(
    make_settings: Callable[..., LifecycleSettings], builder_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> FastAPI:
    monkeypatch.delenv("RACETRACK_PLUGINS")  # load the installed entry points: python3, local
    settings = make_settings(timeout_until_job_alive=60, timeout_until_job_ready=60)
    cipher = load_cipher(settings)
    engine = PluginEngine(settings.data_dir / "plugins", {}, cipher.encrypt, cipher.decrypt)
    return create_app(settings, engine, artifact_builder=LocalArtifactBuilder(builder_dir))


def sample_context() -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in (SAMPLE / "adder.py", SAMPLE / "job.yaml"):
            tar.add(path, arcname=path.name)
    return base64.b64encode(buffer.getvalue()).decode()


def test_python_class_sample_deploys_answers_and_is_deleted(real_app: FastAPI) -> None:
    manifest: dict[str, Any] = yaml.safe_load((SAMPLE / "job.yaml").read_text())
    manifest["name"] = "adder-real"
    with TestClient(real_app) as client:
        headers = {"X-Racetrack-Auth": login(client)}
        response = client.post(
            f"{API}/deploy", json={"manifest": manifest, "build_context": sample_context()}, headers=headers
        )
        assert response.status_code == 200, response.text
        result = wait_for_deployment(client, response.json()["id"], headers, timeout=240)
        assert result["status"] == "done", result["error"]
        job = result["job"]
        assert job["job_type_version"].startswith("python3:") and job["infrastructure_target"] == "local"

        job_url = f"http://{job['internal_name']}"
        assert httpx.post(f"{job_url}/api/v1/perform", json={"numbers": [40, 2]}, timeout=10).json() == 42
        logs = client.get(f"{API}/job/adder-real/latest/logs", headers=headers)
        assert logs.status_code == 200 and isinstance(logs.json()["logs"], str)

        assert client.delete(f"{API}/job/adder-real/{job['version']}", headers=headers).status_code == 200
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{job_url}/live", timeout=2)
