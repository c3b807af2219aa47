"""Log formats (plain and structured), levels, and the access log rules."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from racetrack_job_runtime.logs import AccessLog, JsonFormatter, PlainFormatter, configure_logging
from racetrack_job_runtime.request import Request, request_context
from racetrack_job_runtime.settings import Settings

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory


@pytest.fixture
def stdout() -> Iterator[io.StringIO]:
    """A stream for configure_logging; the logging setup is restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("racetrack").level)
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.getLogger("racetrack").setLevel(saved[2])


def record(level: int, message: str, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("x", level, __file__, 1, message, (), None)
    rec.__dict__.update(extra)
    return rec


def test_plain_format_has_timestamp_level_message_and_context() -> None:
    line = PlainFormatter().format(record(logging.WARNING, "job deployed", job="adder", note="two words"))
    assert re.fullmatch(
        r'\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] WARN  job deployed, job=adder, note="two words"', line
    ), line


@pytest.mark.parametrize(
    ("level", "name"),
    [(logging.DEBUG, "DEBUG"), (logging.INFO, "INFO"), (logging.ERROR, "ERROR"), (logging.CRITICAL, "CRIT")],
)
def test_level_names(level: int, name: str) -> None:
    assert f"] {name}" in PlainFormatter().format(record(level, "m"))
    assert json.loads(JsonFormatter().format(record(level, "m")))["lvl"] == name


def test_plain_format_uses_colours_only_when_asked() -> None:
    assert "\033[" not in PlainFormatter(colours=False).format(record(logging.INFO, "m"))
    assert "\033[34m" in PlainFormatter(colours=True).format(record(logging.INFO, "m"))


def test_structured_format_is_one_json_object_per_line() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        rec = record(logging.ERROR, "zażółć", tracing_id="t1", caller_name="User a", cause="ValueError")
        rec.exc_info = sys.exc_info()
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    payload = json.loads(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", payload["time"])
    assert payload["msg"] == "zażółć"
    assert (payload["tracing_id"], payload["caller_name"], payload["cause"]) == ("t1", "User a", "ValueError")
    assert "ValueError: bad" in payload["exc_info"]


def test_log_level_applies_to_user_loggers(stdout: io.StringIO) -> None:
    configure_logging(Settings.from_env({"LOG_LEVEL": "debug"}), stdout)
    logging.getLogger("my_job.module").debug("user debug line")
    assert "DEBUG user debug line" in stdout.getvalue()
    configure_logging(Settings.from_env({"LOG_LEVEL": "WARN"}), stdout)
    logging.getLogger("racetrack").info("hidden")
    logging.getLogger("my_job").warning("shown")
    assert "hidden" not in stdout.getvalue() and "WARN  shown" in stdout.getvalue()


def test_default_levels_are_info_with_the_racetrack_logger_at_debug(stdout: io.StringIO) -> None:
    configure_logging(Settings.from_env({}), stdout)
    logging.getLogger("my_job").debug("user debug")
    logging.getLogger("racetrack").debug("platform debug")
    assert "user debug" not in stdout.getvalue()
    assert "platform debug" in stdout.getvalue()


def test_structured_mode_applies_to_every_logger(stdout: io.StringIO) -> None:
    configure_logging(Settings.from_env({"LOG_STRUCTURED": "true"}), stdout)
    logging.getLogger("uvicorn.error").info("server line")
    logging.getLogger("my_job").info("user line", extra={"rows": 3})
    lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [line["msg"] for line in lines] == ["server line", "user line"]
    assert lines[1]["rows"] == 3


def test_user_log_lines_inside_a_request_carry_its_tracing_id(stdout: io.StringIO) -> None:
    configure_logging(Settings.from_env({"LOG_CALLER_NAME": "true"}), stdout)
    token = request_context.set(Request({"headers": []}, "trace-9", "User ann"))
    try:
        logging.getLogger("my_job").warning("inside")
    finally:
        request_context.reset(token)
    assert 'inside, tracing_id=trace-9, caller_name="User ann"' in stdout.getvalue()


def test_a_job_may_replace_the_formatter_of_the_root_handlers(stdout: io.StringIO) -> None:
    configure_logging(Settings.from_env({}), stdout)

    class Custom(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return f"CUSTOM {record.getMessage()} {getattr(record, 'tracing_id', '-')}"

    for handler in logging.getLogger().handlers:
        handler.setFormatter(Custom())
    token = request_context.set(Request({"headers": []}, "trace-1"))
    try:
        logging.getLogger("x").warning("hello")
    finally:
        request_context.reset(token)
    assert "CUSTOM hello trace-1" in stdout.getvalue()


@pytest.mark.anyio
async def test_access_log_lines_for_requests_but_not_for_probes_or_metrics(
    jobs: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel", {"LOG_CALLER_NAME": "true"})
    caplog.set_level(logging.DEBUG, logger="racetrack_job_runtime")
    for path in ("/live", "/ready/", "/health", "/metrics", "/pub/job/adder/latest/health/"):
        await client.get(path)
    headers = {"X-Request-Tracing-Id": "abc", "X-Caller-Name": "ESC nightly"}
    await client.post("/pub/job/adder/latest/api/v1/perform?v=1", json={"numbers": [1]}, headers=headers)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        ("DEBUG", "Request: POST /pub/job/adder/latest/api/v1/perform?v=1"),
        ("INFO", "POST /pub/job/adder/latest/api/v1/perform?v=1 200"),
    ]
    assert all(r.tracing_id == "abc" and r.caller_name == "ESC nightly" for r in caplog.records)


@pytest.mark.anyio
async def test_caller_name_is_logged_only_with_log_caller_name(
    jobs: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel")
    caplog.set_level(logging.INFO, logger="racetrack_job_runtime")
    await client.post("/api/v1/perform", json={"numbers": [1]}, headers={"X-Caller-Name": "User x"})
    assert not hasattr(caplog.records[-1], "caller_name")


@pytest.mark.anyio
async def test_custom_tracing_and_caller_header_names(
    jobs: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"REQUEST_TRACING_HEADER": "traceparent", "CALLER_NAME_HEADER": "X-Who", "LOG_CALLER_NAME": "1"}
    client = jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel", env)
    caplog.set_level(logging.INFO, logger="racetrack_job_runtime")
    await client.post(
        "/api/v1/perform", json={"numbers": [1]}, headers={"traceparent": "00-t", "X-Who": "me"}
    )
    assert (caplog.records[-1].tracing_id, caplog.records[-1].caller_name) == ("00-t", "me")


def test_access_line_written_directly_matches_the_formatter(stdout: io.StringIO) -> None:
    configure_logging(Settings.from_env({"LOG_CALLER_NAME": "true"}), stdout)
    access = AccessLog(logging.getLogger("racetrack_job_runtime"), log_caller_name=True)
    access.write("POST", "/api/v1/perform", 200, "t-1", "User a")
    logging.getLogger("racetrack_job_runtime").info(
        "POST /api/v1/perform 200", extra={"tracing_id": "t-1", "caller_name": "User a"}
    )
    direct, via_logging = stdout.getvalue().splitlines()
    assert direct == via_logging
    assert direct.endswith('INFO  POST /api/v1/perform 200, tracing_id=t-1, caller_name="User a"')


def test_structured_access_line_written_directly(stdout: io.StringIO) -> None:
    configure_logging(Settings.from_env({"LOG_STRUCTURED": "true"}), stdout)
    AccessLog(logging.getLogger("racetrack_job_runtime"), log_caller_name=False).write(
        "GET", "/x", 404, "t", "c"
    )
    line = json.loads(stdout.getvalue())
    assert (line["lvl"], line["msg"], line["tracing_id"]) == ("INFO", "GET /x 404", "t")
    assert "caller_name" not in line


def test_access_line_goes_through_a_formatter_set_by_the_job(stdout: io.StringIO) -> None:
    configure_logging(Settings.from_env({}), stdout)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(logging.Formatter("JOB FORMAT %(message)s"))
    AccessLog(logging.getLogger("racetrack_job_runtime"), log_caller_name=False).write(
        "GET", "/x", 200, None, None
    )
    assert stdout.getvalue() == "JOB FORMAT GET /x 200\n"


def test_access_line_respects_the_level(stdout: io.StringIO) -> None:
    configure_logging(Settings.from_env({"LOG_LEVEL": "WARN"}), stdout)
    AccessLog(logging.getLogger("racetrack_job_runtime"), log_caller_name=False).write(
        "GET", "/x", 200, None, None
    )
    assert stdout.getvalue() == ""
