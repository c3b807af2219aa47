"""Every sample: its manifest follows the conventions and its class works through the runtime."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import types
from collections.abc import Iterator
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
    assert manifest.get("jobtype", manifest.get("lang")) == "python3:latest"  # `lang:` is the old alias
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


def test_samples_cover_the_deprecated_lang_key() -> None:
    assert any("lang" in manifest_of(d) and "jobtype" not in manifest_of(d) for d in SAMPLE_DIRS)


@pytest.fixture(autouse=True)
def _restore_root_formatters() -> Iterator[None]:
    """python-logging-format installs its formatter on the root handlers: undo it after a test."""
    saved = [(handler, handler.formatter) for handler in logging.getLogger().handlers]
    yield
    for handler, formatter in saved:
        handler.setFormatter(formatter)


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
    manifest = manifest_of(directory)
    for key, value in manifest.get("runtime_env", {}).items():  # set by the infrastructure
        monkeypatch.setenv(key, str(value))
    extra = jobtype_extra(manifest)
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
        ("python-primer", {"number": 7907}, True),
        ("python-primer", {"number": 7908}, False),
        ("python-primer", {"number": 2}, True),
        ("python-primer", {"number": 1}, False),
        ("python-async", {"seconds": 0.1}, "done"),
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


async def test_hasher_sample_returns_a_sha256_digest(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-hasher", "entrypoint.py", "JobEntrypoint")
    digest = (await client.post("/api/v1/perform", json={"attempts": 1000})).json()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)


@pytest.mark.parametrize(
    ("payload", "status", "expected"),
    [
        ({"mode": "timeout", "t": 0}, 200, {"Alive": True, "Timeout": 0}),
        ({"mode": "timeout_kill", "t": 1}, 200, 1),
        ({"mode": "crash"}, 500, {"error": "Windows12 has stopped working", "type": "RuntimeError"}),
        ({"mode": "windows13"}, 400, {"error": "Unknown mode", "type": "ValueError"}),
    ],
)
async def test_timeout_sample_modes(jobs: AppFactory, payload: dict, status: int, expected: object) -> None:
    client = jobs.client(SAMPLES / "python-timeout", "job.py", "TimeoutJob")
    response = await client.post("/api/v1/perform", json=payload)
    assert (response.status_code, response.json()) == (status, expected)


async def test_timeout_sample_exit_mode_fails_the_call_but_not_the_job(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-timeout", "job.py", "TimeoutJob")
    assert (await client.post("/api/v1/perform", json={"mode": "exit"})).status_code == 500
    assert (await client.get("/health")).json()["status"] == "pass"


async def test_timeout_sample_cpu_mode_returns_after_the_busy_loop(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-timeout", "job.py", "TimeoutJob")
    response = await client.post("/api/v1/perform", json={"mode": "cpu", "t": 0.05})
    assert response.json()["Alive"] is True


async def test_timeout_sample_malloc_grows_memory(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-timeout", "job.py", "TimeoutJob")
    first = (await client.post("/api/v1/perform", json={"mode": "malloc"})).json()
    second = (await client.post("/api/v1/perform", json={"mode": "malloc"})).json()
    assert second > first >= 1_000_000


async def test_logger_sample_logs_the_caller(jobs: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="racetrack")
    env = {"LOG_CALLER_NAME": "true"}
    client = jobs.client(SAMPLES / "python-logger", "entrypoint.py", "JobEntrypoint", env)
    response = await client.post("/api/v1/perform", content=b"", headers={"X-Caller-Name": "User alice"})
    assert 0 <= response.json() < 1
    records = [r for r in caplog.records if r.getMessage() == "perform was called by User alice"]
    assert records and records[0].levelno == logging.DEBUG and records[0].name == "racetrack"


async def test_logging_format_sample_prints_json_lines(
    jobs: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOB_NAME", "python-logging-format")
    monkeypatch.setenv("JOB_VERSION", "0.0.2")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root, platform = logging.getLogger(), logging.getLogger("racetrack")
    root.addHandler(handler)
    monkeypatch.setattr(platform, "level", logging.DEBUG)
    try:
        client = jobs.client(SAMPLES / "python-logging-format", "entrypoint.py", "JobEntrypoint")
        headers = {"X-Caller-Name": "User alice"}
        assert 0 <= (await client.post("/api/v1/perform", content=b"", headers=headers)).json() < 1
        try:
            raise KeyError("boom")
        except KeyError:
            platform.exception("failed")
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    called = next(line for line in lines if line["message"] == "perform was called by User alice")
    assert called["level"] == "DEBUG" and called["name"] == "racetrack"
    assert (called["job_name"], called["job_version"]) == ("python-logging-format", "0.0.2")
    assert called["time"].endswith("+00:00") and "msg" not in called and "args" not in called
    failed = next(line for line in lines if line["message"] == "failed")
    assert "KeyError: 'boom'" in failed["exc_info"]


async def test_env_secret_sample_sees_runtime_secrets_but_not_build_secrets(
    jobs: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_MODEL_ZOO", "zoo")
    monkeypatch.setenv("PGPASSWD", "s3cret")
    for build_only in ("GIT_USERNAME", "GIT_TOKEN", "DEBIAN_FRONTEND"):
        monkeypatch.delenv(build_only, raising=False)
    client = jobs.client(SAMPLES / "python-env-secret", "entrypoint.py", "JobEntrypoint")
    result = (await client.post("/api/v1/perform", content=b"")).json()
    assert result["model"] == "zoo" and result["TORCH_MODEL_ZOO"] == "zoo"
    assert result["PGPASSWD"] == "s3cret"
    assert result["GIT_USERNAME"] == result["GIT_TOKEN"] == result["DEBIAN_FRONTEND"] == ""
    assert 0 <= result["random"] < 1


def test_env_secret_sample_fails_to_start_without_its_runtime_env(
    jobs: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TORCH_MODEL_ZOO", raising=False)
    with pytest.raises(Exception, match="TORCH_MODEL_ZOO"):
        jobs.app(SAMPLES / "python-env-secret", "entrypoint.py", "JobEntrypoint")


def test_env_secret_sample_commits_templates_not_secrets() -> None:
    directory = SAMPLES / "python-env-secret"
    assert (directory / ".gitignore").read_text().split() == ["build.env", "runtime.env"]
    assert "GIT_TOKEN=" in (directory / "build.env.template").read_text()
    assert "PGPASSWD=" in (directory / "runtime.env.template").read_text()
    assert "${GIT_USERNAME}:${GIT_TOKEN}@" in (directory / "requirements.txt").read_text()


async def test_docs_formatter_sample_renders_markdown_kept_in_the_url(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "docs-formatter", "entrypoint.py", "JobEntrypoint")
    root = await client.get("/api/v1/webview/")
    assert root.status_code in (302, 307) and root.headers["location"].endswith("/api/v1/webview/view")
    docs = "# Title\nItems:\n- one\n- two\n\nSome `code`."
    preview = await client.post("/api/v1/webview/preview", data={"raw_docs": docs})
    assert preview.status_code == 303
    location = preview.headers["location"]
    assert "/api/v1/webview/view?data=" in location
    assert not set(location.split("data=", 1)[1]) & set("+/=")  # URL-safe
    page = await client.get(location)
    assert page.status_code == 200
    assert "<h1>Title</h1>" in page.text and "<li>one</li>" in page.text
    assert "<code>code</code>" in page.text and "/static/markdown.css" in page.text
    css = await client.get("/api/v1/webview/static/markdown.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


async def test_docs_formatter_sample_has_no_perform(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "docs-formatter", "entrypoint.py", "JobEntrypoint")
    response = await client.post("/api/v1/perform", json={})
    assert response.status_code == 400
    assert response.json()["error"] == "entrypoint doesn't have 'perform' method implemented"


def _fake_humanize() -> types.ModuleType:
    module = types.ModuleType("humanize")
    module.naturalsize = lambda size: f"fake {size}"  # type: ignore[attr-defined]
    return module
