"""Loguru configuration shared by every server component.

``configure_logs()`` is called once at a process's entry point; library code only does
``from loguru import logger`` and ``logger.info("job deployed", job=name, version=v)``.
Keyword arguments become context: appended as ``, key=value`` in plain mode, or as JSON keys
when ``LOG_STRUCTURED`` is truthy.

Lines are formatted here rather than by a loguru format string (no markup parsing per record)
and written through a small buffer: INFO and DEBUG lines reach stdout within
:data:`FLUSH_INTERVAL` seconds, WARNING and above at once, and everything at exit. On a busy
gateway this keeps one access line per request from costing a write system call each.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from loguru import logger

TRUTHY = {"true", "t", "yes", "y", "1"}
FLUSH_INTERVAL = 0.2  # seconds an INFO line may wait in the buffer
FLUSH_BYTES = 64 * 1024
_URGENT = 30  # WARNING and above are written at once
_LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "CRIT"}
_LEVEL_COLOURS = {"DEBUG": "32", "INFO": "34", "WARN": "33", "ERROR": "31", "CRIT": "31"}


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in TRUTHY


def _format_value(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def _plain_line(
    when: datetime, level: str, message: str, extra: dict[str, Any], colour: bool, exception: str = ""
) -> str:
    context = "".join(
        f", {key}={_format_value(value)}"
        for key, value in extra.items()
        if not key.startswith("_") and value not in (None, "")
    )
    shown = f"\x1b[{_LEVEL_COLOURS.get(level, '0')}m{level:<5}\x1b[0m" if colour else f"{level:<5}"
    return f"[{when:%Y-%m-%d %H:%M:%S}] {shown} {message}{context}\n{exception}"


def _json_line(when: datetime, level: str, message: str, extra: dict[str, Any], exception: Any = None) -> str:
    payload: dict[str, Any] = {
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "lvl": level,
        "msg": message,
    }
    for key, value in extra.items():
        if not key.startswith("_"):
            payload[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
    if exception is not None:
        payload["exc_info"] = (
            f"{exception.type.__name__ if exception.type else 'Exception'}: {exception.value}"
        )
        payload["traceback"] = _exception_text(exception).rstrip()
    return json.dumps(payload, ensure_ascii=False) + "\n"


def format_plain(record: dict[str, Any], colour: bool = False) -> str:
    """``[YYYY-MM-DD HH:MM:SS] LEVEL message, key=value, key="value with spaces"``."""
    level = _LEVEL_NAMES.get(record["level"].name, record["level"].name)
    exception = _exception_text(record["exception"]) if record["exception"] is not None else ""
    return _plain_line(record["time"], level, record["message"], record["extra"], colour, exception)


def format_json(record: dict[str, Any]) -> str:
    """One JSON object: ``time`` (UTC ISO 8601), ``lvl``, ``msg`` and the context keys."""
    level = _LEVEL_NAMES.get(record["level"].name, record["level"].name)
    return _json_line(record["time"], level, record["message"], record["extra"], record["exception"])


def _exception_text(exception: Any) -> str:
    import traceback

    return "".join(traceback.format_exception(exception.type, exception.value, exception.traceback))


class BufferedSink:
    """A loguru sink writing formatted lines to a stream, flushed by time, size and level."""

    def __init__(self, stream: IO[str], structured: bool, colour: bool, level_no: int = 20) -> None:
        self.level_no = level_no
        self._stream = stream
        self._structured = structured
        self._colour = colour
        self._lock = threading.Lock()
        self._buffer: list[str] = []
        self._size = 0
        self._flusher: threading.Thread | None = None
        self._closed = False

    def __call__(self, message: Any) -> None:
        record = message.record
        line = format_json(record) if self._structured else format_plain(record, self._colour)
        self._append(line, record["level"].no)

    def info(self, message: str, **extra: Any) -> None:
        """Write an INFO line without going through loguru (for per-request access lines)."""
        if self.level_no > 20:
            return
        when = datetime.now().astimezone()
        if self._structured:
            line = _json_line(when, "INFO", message, extra)
        else:
            line = _plain_line(when, "INFO", message, extra, self._colour)
        self._append(line, 20)

    def _append(self, line: str, level_no: int) -> None:
        with self._lock:
            self._buffer.append(line)
            self._size += len(line)
            if level_no >= _URGENT or self._size >= FLUSH_BYTES:
                self._flush_locked()
            elif self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_loop, name="log-flusher", daemon=True)
                self._flusher.start()

    def _flush_locked(self) -> None:
        if not self._buffer:
            return
        text = "".join(self._buffer)
        self._buffer.clear()
        self._size = 0
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # closed or broken stdout: logs are not worth a crash
            pass

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_loop(self) -> None:
        while not self._closed:
            time.sleep(FLUSH_INTERVAL)
            self.flush()

    def close(self) -> None:
        self._closed = True
        self.flush()


_sink: BufferedSink | None = None


def configure_logs(
    level: str | None = None, structured: bool | None = None, stream: IO[str] | None = None
) -> None:
    """Replace loguru's handlers with one buffered stdout sink in plain or JSON form."""
    global _sink
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    level = {"WARN": "WARNING", "CRIT": "CRITICAL"}.get(level, level)
    structured = env_flag("LOG_STRUCTURED") if structured is None else structured
    stream = stream or sys.stdout
    if _sink is not None:
        _sink.close()
    logger.remove()
    _sink = BufferedSink(stream, structured, colour=not structured and _isatty(stream))
    logger.add(_sink, level=level, format="{message}", colorize=False, catch=True)
    _sink.level_no = logger.level(level).no


def access_logger() -> Callable[..., None]:
    """A fast ``info(message, **context)`` for per-request lines.

    It writes straight to the configured sink, skipping loguru's per-call work (about half of
    a line's cost); where ``configure_logs`` was not called it is loguru's ``logger.info``.
    """

    def info(message: str, **extra: Any) -> None:
        sink = _sink
        if sink is not None:
            sink.info(message, **extra)
        else:
            logger.info(message, **extra)

    return info


def flush_logs() -> None:
    """Write out buffered lines now (called at exit too)."""
    if _sink is not None:
        _sink.flush()


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


atexit.register(flush_logs)


def utc_now() -> datetime:
    return datetime.now(UTC)
