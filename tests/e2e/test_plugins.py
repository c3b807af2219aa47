"""Plugins end to end: a job type packed with ``racetrack plugin bundle``, installed with
``racetrack plugin install`` into a running ``racetrack up``, used by a deployment, listed by
our CLI and by the published racetrack-client, then uninstalled (the job keeps running and
gets the deprecated job type notice)."""

from __future__ import annotations

import shutil
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e

PLUGIN_PY = """
from racetrack.jobtypes.python3 import Python3JobType


class CustomPython(Python3JobType):
    name = "custom-python"


class Plugin:
    def racetrack_job_types(self, register, context):
        register(CustomPython(self.plugin_manifest.version))

    def markdown_docs(self):
        return "# Custom Python\\nServes Python classes."
"""


def _plugin_dir(root: Path) -> Path:
    directory = root / "custom-python-plugin"
    directory.mkdir()
    (directory / "plugin-manifest.yaml").write_text(
        "name: custom-python-job-type\nversion: 1.0.0\ncategory: job-type\n"
    )
    (directory / "plugin.py").write_text(PLUGIN_PY)
    (directory / "notes.tmp").write_text("left out by .racetrackignore\n")
    (directory / ".racetrackignore").write_text("*.tmp\n")
    return directory


def _job_dir(root: Path) -> Path:
    job = root / "adder-custom"
    shutil.copytree(SAMPLES / "python-class", job)
    manifest = (job / "job.yaml").read_text()
    manifest = manifest.replace("name: adder", "name: adder-custom").replace(
        "jobtype: python3:latest", "jobtype: custom-python:1.0.0"
    )
    (job / "job.yaml").write_text(manifest)
    return job


@pytest.mark.timeout(600)
def test_a_bundled_job_type_is_installed_used_listed_and_uninstalled(
    cli: Cli, upstream_cli: Cli, server: Server, admin_token: str, tmp_path: Path
) -> None:
    bundled = cli("plugin", "bundle", str(_plugin_dir(tmp_path)), "--out", str(tmp_path / "dist"))
    zip_path = tmp_path / "dist" / "custom-python-job-type-1.0.0.zip"
    assert str(zip_path) in bundled.stdout
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == ["plugin-manifest.yaml", "plugin.py"]
    cli("plugin", "install", str(zip_path))
    assert "custom-python:1.0.0" in cli("plugin", "list", "--job-types").stdout.split()
    assert "custom-python-job-type==1.0.0" in cli("plugin", "list").stdout

    cli("deploy", str(_job_dir(tmp_path)), "--build-context", "local", timeout=300)
    response = httpx.post(
        f"{server.pub}/job/adder-custom/latest/api/v1/perform",
        json={"numbers": [40, 2]},
        headers={"X-Racetrack-Auth": admin_token},
    )
    job = httpx.get(
        f"{server.remote}/api/v1/job/adder-custom/latest", headers={"X-Racetrack-Auth": admin_token}
    ).json()
    assert job["job_type_version"] == "custom-python:1.0.0"
    assert response.json() == 42

    upstream_cli("login", admin_token, "--remote", server.remote)
    upstream_cli("plugin", "install", str(zip_path), "--remote", server.remote)  # the same version again
    listed = upstream_cli("plugin", "list", "--remote", server.remote)
    assert "custom-python-job-type==1.0.0" in listed.stdout
    job_types = upstream_cli("plugin", "list", "--job-types", "--remote", server.remote)
    assert "custom-python:1.0.0" in job_types.stdout.split()

    cli("plugin", "uninstall", "custom-python-job-type", "--version", "1.0.0")
    assert "custom-python:1.0.0" not in cli("plugin", "list", "--job-types").stdout.split()
    deadline = time.monotonic() + 40  # the status loop notices within its interval (10 s)
    while True:
        job = httpx.get(
            f"{server.remote}/api/v1/job/adder-custom/latest", headers={"X-Racetrack-Auth": admin_token}
        ).json()
        if job.get("notice"):
            break
        assert time.monotonic() < deadline, "no deprecated job type notice after the plugin left"
        time.sleep(0.5)
    assert job["notice"] == "This job type version is deprecated since it's not available anymore."
    assert job["status"] == "running"
    cli("delete", "adder-custom", "--version", job["version"])
