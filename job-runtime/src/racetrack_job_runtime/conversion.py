"""JSON encoding of the values user code returns.

JSON-native values go straight through the C encoder; everything else reaches ``_convert``
once per object: ``__to_json__()``, numpy arrays and scalars (``tolist``), dataclasses,
pydantic models, dates and times (ISO-8601), paths, sets, enums, decimals and UUIDs.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any
from uuid import UUID


def _convert(obj: Any) -> Any:
    if isinstance(obj, type):
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
    to_json = getattr(obj, "__to_json__", None)
    if callable(to_json):
        return to_json()
    if isinstance(obj, (datetime, date, time)):
        return obj.isoformat()
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(obj, UUID):
        return str(obj)
    if hasattr(type(obj), "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(obj)
    model_dump = getattr(obj, "model_dump", None)  # pydantic v2
    if callable(model_dump):
        return model_dump(mode="json")
    legacy_dict = getattr(obj, "dict", None)  # pydantic v1
    if callable(legacy_dict) and hasattr(type(obj), "__fields__"):
        return legacy_dict()
    tolist = getattr(obj, "tolist", None)  # numpy arrays and scalars, pandas series
    if callable(tolist):
        return tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_convert)


def to_json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON of ``value``; raises TypeError/ValueError if it cannot be encoded."""
    return _encoder.encode(value).encode("utf-8")


def to_jsonable(value: Any) -> Any:
    """``value`` as JSON-native data (a round trip through the encoder)."""
    return json.loads(to_json_bytes(value))
