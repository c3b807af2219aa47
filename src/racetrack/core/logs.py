"""Loguru configuration shared by every server component.

``configure_logs()`` is called once at a process's entry point; library code only does
``from loguru import logger`` and ``logger.info("job deployed", job=name, version=v)``.
Keyword arguments become context: appended as ``, key=value`` in plain mode, or as JSON keys
when ``LOG_STRUCTURED`` is truthy.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from loguru import logger

if TYPE_CHECKING:
    from loguru import Record

TRUTHY = {"true", "t", "yes", "y", "1"}
_LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "CRIT"}
_LEVEL_COLOURS = {"DEBUG": "green", "INFO": "blue", "WARN": "yellow", "ERROR": "red", "CRIT": "red"}


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in TRUTHY


def _format_value(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def _plain_format(record: Record) -> str:
    level = _LEVEL_NAMES.get(record["level"].name, record["level"].name)
    extra = record["extra"]
    context = "".join(
        f", {key}={_format_value(value)}".replace("{", "{{").replace("}", "}}")
        for key, value in extra.items()
        if not key.startswith("_") and value not in (None, "")
    )
    colour = _LEVEL_COLOURS.get(level, "white")
    line = f"[{{time:YYYY-MM-DD HH:mm:ss}}] <{colour}>{level:<5}</{colour}> {{message}}{context}\n"
    if record["exception"] is not None:
        line += "{exception}"
    return line


def _json_sink(message: Any) -> None:
    record = message.record
    payload: dict[str, Any] = {
        "time": record["time"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "lvl": _LEVEL_NAMES.get(record["level"].name, record["level"].name),
        "msg": record["message"],
    }
    for key, value in record["extra"].items():
        if not key.startswith("_"):
            payload[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
    if record["exception"] is not None:
        exc = record["exception"]
        payload["exc_info"] = f"{exc.type.__name__ if exc.type else 'Exception'}: {exc.value}"
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def configure_logs(level: str | None = None, structured: bool | None = None) -> None:
    """Replace loguru's handlers with one stdout sink in plain or JSON form."""
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    level = {"WARN": "WARNING", "CRIT": "CRITICAL"}.get(level, level)
    structured = env_flag("LOG_STRUCTURED") if structured is None else structured
    logger.remove()
    if structured:
        logger.add(_json_sink, level=level)
    else:
        logger.add(sys.stdout, level=level, format=_plain_format, colorize=sys.stdout.isatty())


def utc_now() -> datetime:
    return datetime.now(UTC)
