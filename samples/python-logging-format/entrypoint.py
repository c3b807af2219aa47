import json
import logging
import os
import random
from datetime import UTC, datetime

logger = logging.getLogger("racetrack")

# LogRecord attributes that are not worth a JSON key (the message is `message` already)
INTERNAL_ATTRIBUTES = {
    "msg",
    "args",
    "levelname",
    "levelno",
    "created",
    "msecs",
    "relativeCreated",
    "exc_info",
    "exc_text",
    "stack_info",
    "message",
    "asctime",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the job's name and version from the environment."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in INTERNAL_ATTRIBUTES and not key.startswith("_"):
                payload[key] = value
        payload["job_name"] = os.environ.get("JOB_NAME")
        payload["job_version"] = os.environ.get("JOB_VERSION")
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str)


class JobEntrypoint:
    def __init__(self):
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())

    def perform(self) -> float:
        """Log who called (as a JSON line), and return a random number in [0, 1)."""
        caller = self.request_context.get().headers.get("X-Caller-Name")
        logger.debug(f"perform was called by {caller}")
        return random.random()
