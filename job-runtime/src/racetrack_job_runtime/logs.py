"""Logging of a job process: one stdout handler on the root logger, plain text or JSON lines.

Plain: ``[YYYY-MM-DD HH:MM:SS] LEVEL message, key=value, key="value with spaces"``.
Structured (``LOG_STRUCTURED=true``): ``{"time", "lvl", "msg", <extra keys>...}``.
A filter on the handler adds ``tracing_id`` (and ``caller_name`` with ``LOG_CALLER_NAME``) to
every record logged while a request is being served, user code's records included, so a job
that installs its own formatter still sees them as record attributes.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from racetrack_job_runtime.request import request_context
from racetrack_job_runtime.settings import Settings

logger = logging.getLogger("racetrack_job_runtime")

LEVEL_NAMES = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARN",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRIT",
}
_COLOURS = {
    "DEBUG": "\033[32m",
    "INFO": "\033[34m",
    "WARN": "\033[33m",
    "ERROR": "\033[31m",
    "CRIT": "\033[31m",
}
_RESET = "\033[0m"
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's coloured copy of the message
}


def _extras(record: logging.LogRecord) -> list[tuple[str, Any]]:
    return [
        (key, value)
        for key, value in record.__dict__.items()
        if key not in _STANDARD_ATTRS and not key.startswith("_") and value is not None
    ]


def _quote(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if (not text or " " in text or "," in text) else text


class RequestContextFilter(logging.Filter):
    """Copies the current request's tracing id (and caller name) onto each record."""

    def __init__(self, log_caller_name: bool) -> None:
        super().__init__()
        self.log_caller_name = log_caller_name

    def filter(self, record: logging.LogRecord) -> bool:
        request = request_context.get(None)
        if request is not None:
            if request.tracing_id and not hasattr(record, "tracing_id"):
                record.tracing_id = request.tracing_id
            if self.log_caller_name and request.caller_name and not hasattr(record, "caller_name"):
                record.caller_name = request.caller_name
        return True


class PlainFormatter(logging.Formatter):
    """``[2024-01-31 12:00:00] INFO  message, key=value``; ANSI colours only on a TTY."""

    def __init__(self, colours: bool = False) -> None:
        super().__init__()
        self.colours = colours
        self._second = -1
        self._stamp = ""

    def _timestamp(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._second = second
        return self._stamp

    def format(self, record: logging.LogRecord) -> str:
        level = LEVEL_NAMES.get(record.levelno, record.levelname)
        label = f"{_COLOURS.get(level, '')}{level:<5}{_RESET}" if self.colours else f"{level:<5}"
        line = f"[{self._timestamp(record.created)}] {label} {record.getMessage()}"
        extras = _extras(record)
        if extras:
            line += "".join(f", {key}={_quote(value)}" for key, value in extras)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO-8601 UTC), ``lvl``, ``msg`` and extra keys."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "lvl": LEVEL_NAMES.get(record.levelno, record.levelname),
            "msg": record.getMessage(),
        }
        for key, value in _extras(record):
            payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def _level(name: str) -> int:
    aliases = {"WARN": "WARNING", "CRIT": "CRITICAL"}
    value = logging.getLevelName(aliases.get(name, name))
    return value if isinstance(value, int) else logging.INFO


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Install the single handler writing to ``stream`` (stdout); called once by the entry point."""
    stdout = sys.stdout if stream is None else stream
    reconfigure = getattr(stdout, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(line_buffering=True, errors="backslashreplace")
        except (ValueError, OSError):
            pass
    handler = logging.StreamHandler(stdout)
    isatty = getattr(stdout, "isatty", None)
    colours = bool(isatty and isatty())
    handler.setFormatter(JsonFormatter() if settings.log_structured else PlainFormatter(colours))
    handler.addFilter(RequestContextFilter(settings.log_caller_name))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    if settings.log_level:
        level = _level(settings.log_level)
        root.setLevel(level)
        logging.getLogger("racetrack").setLevel(level)
    else:
        root.setLevel(logging.INFO)
        # the platform logger samples use for debug output, as upstream
        logging.getLogger("racetrack").setLevel(logging.DEBUG)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
