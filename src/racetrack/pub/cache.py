"""A bounded, time-aware LRU of authorisation answers.

Each entry has two deadlines fixed when it is stored: until ``fresh_until`` it is used without
asking Lifecycle (positive and negative answers have separate TTLs); until ``usable_until`` an
allowed answer may still serve calls while Lifecycle is failing (stale-if-error). Refusals are
never used stale. The clock is injected so tests need no sleeping.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(slots=True)
class _Entry(Generic[V]):
    value: V
    fresh_until: float
    usable_until: float


class TtlLruCache(Generic[V]):
    """LRU cache whose entries are fresh for a TTL and usable stale for longer when allowed."""

    def __init__(
        self,
        *,
        ttl_positive: float,
        ttl_negative: float,
        stale_if_error: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_positive = ttl_positive
        self.ttl_negative = ttl_negative
        self.stale_if_error = stale_if_error
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry[V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def fresh(self, key: Hashable) -> V | None:
        """The value stored under ``key`` if it is still within its TTL."""
        entry = self._entries.get(key)
        if entry is None or self._clock() >= entry.fresh_until:
            return None
        self._entries.move_to_end(key)
        return entry.value

    def stale(self, key: Hashable) -> V | None:
        """The allowed value stored under ``key`` if within the stale-if-error window."""
        entry = self._entries.get(key)
        if entry is None or self._clock() >= entry.usable_until:
            return None
        return entry.value

    def store(self, key: Hashable, value: V, *, positive: bool) -> None:
        """Remember ``value``; ``positive`` picks the TTL and whether it may be used stale."""
        now = self._clock()
        if positive:
            fresh_until = now + self.ttl_positive
            usable_until = now + max(self.stale_if_error, self.ttl_positive)
        else:
            # a refusal replaces any earlier allowed answer, ending its stale life too
            fresh_until = usable_until = now + self.ttl_negative
        self._entries[key] = _Entry(value, fresh_until, usable_until)
        self._entries.move_to_end(key)
        self._evict(now)

    def _evict(self, now: float) -> None:
        entries = self._entries
        while len(entries) > self.max_entries:
            entries.popitem(last=False)
        # drop dead entries from the cold end; each call removes at most a few (amortised)
        for _ in range(4):
            if not entries:
                break
            key, entry = next(iter(entries.items()))
            if entry.usable_until > now:
                break
            del entries[key]
