from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pytest
from loguru import logger

from racetrack.core import logs
from racetrack.core.logs import access_logger, configure_logs, env_flag, flush_logs


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    yield out
    logger.remove()
    logs._sink = None


def test_plain_lines_carry_time_level_message_and_context(stream: io.StringIO) -> None:
    configure_logs(level="DEBUG", structured=False, stream=stream)
    logger.info("job deployed", job="adder", owner="Jane Doe", empty="", missing=None)
    flush_logs()
    line = stream.getvalue()
    assert re.fullmatch(
        r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] INFO  job deployed, job=adder, owner=\"Jane Doe\"\n", line
    )


def test_braces_and_non_ascii_text_survive(stream: io.StringIO) -> None:
    configure_logs(structured=False, stream=stream)
    logger.info("payload {not a placeholder} zażółć")
    logger.info("escaped {{braces}} with context", value="{x}")  # loguru formats when given kwargs
    flush_logs()
    assert "payload {not a placeholder} zażółć\n" in stream.getvalue()
    assert "escaped {braces} with context, value={x}" in stream.getvalue()


def test_structured_lines_are_json_with_time_lvl_msg_and_context(stream: io.StringIO) -> None:
    configure_logs(structured=True, stream=stream)
    logger.warning("replica down", job="adder", restarts=2)
    entry = json.loads(stream.getvalue())
    assert entry["lvl"] == "WARN" and entry["msg"] == "replica down"
    assert entry["job"] == "adder" and entry["restarts"] == 2
    assert entry["time"].endswith("Z")


def test_exceptions_are_logged_with_their_traceback(stream: io.StringIO) -> None:
    configure_logs(structured=True, stream=stream)
    try:
        raise ValueError("bad value")
    except ValueError:
        logger.exception("failed")
    entry = json.loads(stream.getvalue())
    assert entry["exc_info"] == "ValueError: bad value"
    assert "test_logs.py" in entry["traceback"]


def test_info_lines_are_buffered_briefly_and_warnings_written_at_once(stream: io.StringIO) -> None:
    configure_logs(structured=False, stream=stream)
    logger.info("first")
    assert stream.getvalue() == ""
    logger.error("urgent")
    assert "first" in stream.getvalue() and "urgent" in stream.getvalue()


def test_buffered_lines_reach_the_stream_within_the_flush_interval(stream: io.StringIO) -> None:
    import time

    configure_logs(structured=False, stream=stream)
    logger.info("eventually")
    deadline = time.monotonic() + logs.FLUSH_INTERVAL * 10
    while "eventually" not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "eventually" in stream.getvalue()


def test_level_filters_lines_and_the_fast_access_logger(stream: io.StringIO) -> None:
    configure_logs(level="WARN", structured=False, stream=stream)
    logger.info("hidden")
    access_logger()("hidden too", status=200)
    logger.warning("shown")
    flush_logs()
    assert "hidden" not in stream.getvalue() and "shown" in stream.getvalue()


def test_fast_access_logger_writes_the_same_format(stream: io.StringIO) -> None:
    configure_logs(structured=True, stream=stream)
    access_logger()("Proxy request done", jobName="adder", status=200)
    flush_logs()
    entry = json.loads(stream.getvalue())
    assert entry["msg"] == "Proxy request done" and entry["status"] == 200 and entry["lvl"] == "INFO"


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("YES", True), ("1", True), ("no", False)])
def test_env_flag_reads_truthy_words(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("SOME_FLAG", value)
    assert env_flag("SOME_FLAG") is expected
    monkeypatch.delenv("SOME_FLAG")
    assert env_flag("SOME_FLAG", default=True) is True
