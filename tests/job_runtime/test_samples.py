"""Every sample: its manifest follows the conventions and its class works through the runtime."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import yaml
from racetrack_job_runtime.settings import JOBTYPE_EXTRA_KEYS

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory

pytestmark = pytest.mark.anyio
SAMPLE_DIRS = sorted(p for p in SAMPLES.iterdir() if (p / "job.yaml").exists())


def manifest_of(directory: Path) -> dict:
    manifest = yaml.safe_load((directory / "job.yaml").read_text())
    if "extends" in manifest:
        base = yaml.safe_load((directory / manifest["extends"]).read_text())
        base.update({k: v for k, v in manifest.items() if k not in ("extends", "resources")})
        base["resources"] = {**base.get("resources", {}), **manifest.get("resources", {})}
        manifest = base
    return manifest


def jobtype_extra(manifest: dict) -> dict:
    return next(manifest[key] for key in JOBTYPE_EXTRA_KEYS if key in manifest)


@pytest.mark.parametrize("directory", SAMPLE_DIRS, ids=lambda p: p.name)
def test_sample_manifest_follows_the_conventions(directory: Path) -> None:
    manifest = manifest_of(directory)
    assert manifest["jobtype"] == "python3:latest"
    assert manifest["owner_email"] == "sample@example.com"
    assert manifest["git"] == {
        "remote": "https://github.com/TheRacetrack/racetrack",
        "directory": f"samples/{directory.name}",
    }
    assert (directory / jobtype_extra(manifest)["entrypoint_path"]).is_file()
    readme = (directory / "README.md").read_text().splitlines()
    assert readme[0] == f"# {directory.name}" and readme[2].strip()


def test_samples_cover_the_deprecated_python_key() -> None:
    assert any("python" in manifest_of(d) and "jobtype_extra" not in manifest_of(d) for d in SAMPLE_DIRS)


def test_overlay_sample_merges_the_base_manifest() -> None:
    manifest = manifest_of(SAMPLES / "overlays")
    assert manifest["name"] == "overlays-dev"
    assert manifest["replicas"] == 2
    assert manifest["resources"] == {"cpu_min": "100m", "cpu_max": "1000m", "memory_min": "500M"}


@pytest.mark.parametrize("directory", SAMPLE_DIRS, ids=lambda p: p.name)
async def test_sample_starts_healthy_and_documents_itself(
    directory: Path, jobs: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    if directory.name == "python-requirements":  # its pip requirement is not in the dev env
        monkeypatch.setitem(sys.modules, "humanize", _fake_humanize())
    extra = jobtype_extra(manifest_of(directory))
    client = jobs.client(directory, extra["entrypoint_path"], extra.get("entrypoint_class"))
    assert (await client.get("/health")).json()["status"] == "pass"
    assert (await client.get("/openapi.json")).status_code == 200


@pytest.mark.parametrize(
    ("sample", "payload", "expected"),
    [
        ("python-class", {"numbers": [40, 2]}, 42),
        ("overlays", {"numbers": [40, 2]}, 42),
        ("python-auxiliary-endpoints", {"x": 40, "y": 2}, 42),
        ("python-static-endpoints", {"x": 40, "y": 2}, 42),
        ("python-ui-flask", {"numbers": [40, 2]}, 42),
    ],
)
async def test_sample_perform(jobs: AppFactory, sample: str, payload: dict, expected: object) -> None:
    extra = jobtype_extra(manifest_of(SAMPLES / sample))
    client = jobs.client(SAMPLES / sample, extra["entrypoint_path"], extra.get("entrypoint_class"))
    assert (await client.post("/api/v1/perform", json=payload)).json() == expected


async def test_metrics_sample_perform_returns_a_number_in_range(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-metrics", "entrypoint.py", "JobEntrypoint")
    assert -1 <= (await client.post("/api/v1/perform", content=b"")).json() < 1


async def test_requirements_sample_uses_its_requirement(
    jobs: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "humanize", _fake_humanize())
    client = jobs.client(SAMPLES / "python-requirements", "entrypoint.py", "JobEntrypoint")
    assert (await client.post("/api/v1/perform", json={"size": 1234567})).json() == "fake 1234567"
    assert (SAMPLES / "python-requirements" / "requirements.txt").read_text().startswith("humanize")


def _fake_humanize() -> types.ModuleType:
    module = types.ModuleType("humanize")
    module.naturalsize = lambda size: f"fake {size}"  # type: ignore[attr-defined]
    return module
