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

    def access_line(self, message: str, context: list[tuple[str, str]]) -> str:
        """The line ``format`` would make of an INFO record with ``context`` as extras."""
        label = f"{_COLOURS['INFO']}INFO {_RESET}" if self.colours else "INFO "
        line = f"[{self._timestamp(time.time())}] {label} {message}"
        if context:
            line += "".join(f", {key}={_quote(value)}" for key, value in context)
        return line

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

    def access_line(self, message: str, context: list[tuple[str, str]]) -> str:
        """The line ``format`` would make of an INFO record with ``context`` as extras."""
        payload: dict[str, Any] = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "lvl": "INFO",
            "msg": message,
        }
        payload.update(context)
        return json.dumps(payload, ensure_ascii=False)

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


class AccessLog:
    """Writes the access log line "METHOD URI STATUS" at INFO.

    While the job keeps the runtime's own stdout handler (the usual case) the line is formatted
    and written directly, skipping the LogRecord machinery on every request; as soon as the
    setup differs (another handler, a replaced formatter, a filter, capture in tests) it goes
    through ``logging`` like any other line.
    """

    def __init__(self, log: logging.Logger, log_caller_name: bool) -> None:
        self.log = log
        self.log_caller_name = log_caller_name

    def write(self, method: str, uri: str, status: int, tracing: str | None, caller: str | None) -> None:
        log = self.log
        if not log.isEnabledFor(logging.INFO):
            return
        context: list[tuple[str, str]] = []
        if tracing is not None:
            context.append(("tracing_id", tracing))
        if caller is not None and self.log_caller_name:
            context.append(("caller_name", caller))
        handler = _direct_handler
        root = logging.root
        if (
            handler is not None
            and not log.handlers
            and not log.filters
            and log.propagate
            and len(root.handlers) == 1
            and root.handlers[0] is handler
            and isinstance(handler.formatter, (PlainFormatter, JsonFormatter))
            and len(handler.filters) == 1
        ):
            line = handler.formatter.access_line(f"{method} {uri} {status}", context)
            with handler.lock or _no_lock:
                handler.stream.write(line + "\n")
                handler.stream.flush()
            return
        log.info("%s %s %d", method, uri, status, extra=dict(context) if context else None)


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


_no_lock = _NoLock()
_direct_handler: logging.StreamHandler[TextIO] | None = None


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
    global _direct_handler
    _direct_handler = handler
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
        uvicorn_logger.setLevel(logging.NOTSET)
        uvicorn_logger.propagate = True
        uvicorn_logger.disabled = False
