"""The distribution installed (not editable) into a fresh job environment together with a
job's own requirements, as a python3 job is built: the python-requirements sample end to end."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.job_runtime.job_runtime_support import REPO, SAMPLES, JobProcess, require


def _uv() -> str | None:
    candidate = Path(sys.executable).parent / "uv"
    return str(candidate) if candidate.exists() else shutil.which("uv")


@pytest.fixture(scope="module")
def job_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = _uv()
    require(uv is not None, "uv is needed to build a job environment")
    assert uv is not None
    venv = tmp_path_factory.mktemp("job-venv") / "venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=120)
    requirements = SAMPLES / "python-requirements" / "requirements.txt"
    result = subprocess.run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            str(REPO / "job-runtime"),
            "-r",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    require(
        result.returncode == 0,
        f"installing into a job environment failed (no package index?): {result.stderr}",
    )
    return venv


def test_requirements_sample_runs_in_its_own_environment(job_venv: Path, tmp_path: Path) -> None:
    directory = tmp_path / "job"
    shutil.copytree(SAMPLES / "python-requirements", directory)
    job = JobProcess(
        directory,
        ["entrypoint.py", "JobEntrypoint"],
        {"JOB_NAME": "python-requirements", "JOB_VERSION": "0.0.2"},
        python=str(job_venv / "bin" / "python"),
    )
    try:
        job.wait_until_ready()
        response = job.post("/pub/job/python-requirements/latest/api/v1/perform", json={"size": 1234567})
        assert (response.status_code, response.json()) == (200, "1.2 MB")
        docs = job.get("/docs/assets/swagger-ui-bundle.js")  # package data shipped in the wheel
        assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
    finally:
        job.stop()


def test_job_environment_holds_only_the_runtime_and_its_few_dependencies(job_venv: Path) -> None:
    site = next((job_venv / "lib").glob("python*/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
    assert installed <= {
        "racetrack_job_runtime",
        "uvicorn",
        "httptools",
        "uvloop",
        "pyyaml",
        "click",
        "h11",
        "humanize",
        "typing_extensions",
    }, installed
