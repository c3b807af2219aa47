"""Settings read from the environment and job.yaml, and their documentation."""

from __future__ import annotations

from pathlib import Path

import pytest
from racetrack_job_runtime.errors import InitError
from racetrack_job_runtime.settings import ENV_VARS, Settings, home_page_of, read_jobtype_extra

DOCS = Path(__file__).resolve().parents[2] / "docs" / "python3-jobs.md"


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.threads == 40
    assert settings.max_body_bytes == 100 * 1024 * 1024
    assert settings.tracing_header == "X-Request-Tracing-Id"
    assert settings.caller_header == "X-Caller-Name"
    assert settings.base_path == ""
    assert (settings.log_structured, settings.log_caller_name) == (False, False)


def test_values_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "JOB_NAME": "adder",
            "JOB_VERSION": "1.2.3",
            "JOB_DEPLOYMENT_TIMESTAMP": "1700000000",
            "RUNTIME_THREADS": "8",
            "RUNTIME_MAX_BODY_BYTES": "1024",
            "LOG_STRUCTURED": "True",
            "LOG_CALLER_NAME": "yes",
            "REQUEST_TRACING_HEADER": "traceparent",
        }
    )
    assert settings.base_path == "/pub/job/adder/1.2.3"
    assert settings.deployment_timestamp == 1700000000
    assert (settings.threads, settings.max_body_bytes) == (8, 1024)
    assert settings.log_structured and settings.log_caller_name
    assert settings.tracing_header == "traceparent"


@pytest.mark.parametrize(("name", "value"), [("RUNTIME_THREADS", "many"), ("RUNTIME_THREADS", "0")])
def test_invalid_numbers_are_rejected_with_the_variable_name(name: str, value: str) -> None:
    with pytest.raises(InitError, match=name):
        Settings.from_env({name: value})


def test_jobtype_extra_and_home_page(tmp_path: Path) -> None:
    assert read_jobtype_extra(str(tmp_path)) == {}
    (tmp_path / "job.yaml").write_text("name: x\njobtype_extra:\n  home_page: api/v1/webview\n")
    extra = read_jobtype_extra(str(tmp_path))
    assert home_page_of(extra) == "/api/v1/webview"
    assert home_page_of({}) == "/docs"


def test_broken_job_yaml_is_an_init_error(tmp_path: Path) -> None:
    (tmp_path / "job.yaml").write_text("name: [unclosed\n")
    with pytest.raises(InitError, match="reading job.yaml"):
        read_jobtype_extra(str(tmp_path))


def test_every_environment_variable_is_documented_in_the_user_guide() -> None:
    text = DOCS.read_text()
    missing = [name for name in ENV_VARS if f"`{name}`" not in text]
    assert not missing, f"document these in {DOCS.name}: {missing}"
