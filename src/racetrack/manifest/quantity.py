"""Resource quantities such as ``256Mi``, ``1Gi`` or ``100m`` (Kubernetes notation).

A quantity is ``<digits>[.<digits>]<suffix>``; the suffix is one of ``E P T G M k`` (powers
of 1000), ``Ei Pi Ti Gi Mi Ki`` (powers of 1024), ``m u n p`` (milli to pico) or nothing.
Quantities compare by value; the original text is kept for display and serialisation.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import total_ordering
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from racetrack.manifest.errors import ManifestError, quote

SUFFIXES: dict[str, Decimal] = {
    "E": Decimal(1000) ** 6,
    "P": Decimal(1000) ** 5,
    "T": Decimal(1000) ** 4,
    "G": Decimal(1000) ** 3,
    "M": Decimal(1000) ** 2,
    "k": Decimal(1000),
    "Ei": Decimal(1024) ** 6,
    "Pi": Decimal(1024) ** 5,
    "Ti": Decimal(1024) ** 4,
    "Gi": Decimal(1024) ** 3,
    "Mi": Decimal(1024) ** 2,
    "Ki": Decimal(1024),
    "m": Decimal("1e-3"),
    "u": Decimal("1e-6"),
    "n": Decimal("1e-9"),
    "p": Decimal("1e-12"),
    "": Decimal(1),
}
_FORMAT = re.compile(r"^(\d+(?:\.\d+)?)([A-Za-z]*)$")
PATTERN = r"^\d+(\.\d+)?(E|P|T|G|M|k|Ei|Pi|Ti|Gi|Mi|Ki|m|u|n|p)?$"
EXPECTED = (
    "expected a number with one of the suffixes "
    + ", ".join(s for s in SUFFIXES if s)
    + " or none (e.g. 256Mi, 1Gi, 100m)"
)


@total_ordering
class Quantity:
    """A non-negative amount with an optional unit suffix, e.g. ``Quantity("512Mi")``."""

    __slots__ = ("_text", "_exact")

    def __init__(self, text: str) -> None:
        text = text.strip()
        match = _FORMAT.match(text)
        if match is None or match[2] not in SUFFIXES:
            raise ManifestError(f"invalid quantity {quote(text)}: {EXPECTED}")
        self._text = text
        self._exact = Decimal(match[1]) * SUFFIXES[match[2]]

    @classmethod
    def parse(cls, text: str) -> Quantity:
        """Parse ``text``; raises ManifestError naming the allowed suffixes when invalid."""
        return cls(text)

    @classmethod
    def of(cls, value: Quantity | str | int | float) -> Quantity:
        """Accept a Quantity, its text, or a plain non-negative number (``1024``, ``0.5``)."""
        if isinstance(value, Quantity):
            return value
        if isinstance(value, bool):
            raise ManifestError(f"invalid quantity {str(value).lower()}: {EXPECTED}")
        if isinstance(value, int | float):
            return cls(format(Decimal(repr(value)), "f"))
        if isinstance(value, str):
            return cls(value)
        raise ManifestError(f"invalid quantity of type {type(value).__name__}: {EXPECTED}")

    @property
    def value(self) -> float:
        """The plain numeric value: bytes for memory, cores for CPU."""
        return float(self._exact)

    @property
    def exact(self) -> Decimal:
        """The plain numeric value without floating-point rounding."""
        return self._exact

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Quantity({self._text!r})"

    def _key(self, other: object) -> Decimal | None:
        if isinstance(other, Quantity):
            return other._exact
        if isinstance(other, int | float | Decimal) and not isinstance(other, bool):
            return Decimal(other)
        return None

    def __eq__(self, other: object) -> bool:
        key = self._key(other)
        return NotImplemented if key is None else self._exact == key

    def __lt__(self, other: object) -> bool:
        key = self._key(other)
        return NotImplemented if key is None else self._exact < key

    def __hash__(self) -> int:
        return hash(self._exact)

    @classmethod
    def _validate(cls, value: Any) -> Quantity:
        try:
            return cls.of(value)
        except ManifestError as e:
            raise ValueError(e.message) from None

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [{"type": "string", "pattern": PATTERN}, {"type": "number", "minimum": 0}],
            "examples": ["256Mi", "1Gi", "100m"],
        }
