"""The authorisation cache: separate TTLs, stale-if-error, bounded LRU."""

from __future__ import annotations

from racetrack.pub.cache import TtlLruCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock, **overrides: float) -> TtlLruCache[str]:
    values = {"ttl_positive": 3.0, "ttl_negative": 1.0, "stale_if_error": 600.0, "max_entries": 100}
    values.update(overrides)
    return TtlLruCache(
        ttl_positive=values["ttl_positive"],
        ttl_negative=values["ttl_negative"],
        stale_if_error=values["stale_if_error"],
        max_entries=int(values["max_entries"]),
        clock=clock,
    )


def test_allowed_answer_is_fresh_for_the_positive_ttl() -> None:
    clock = Clock()
    cache = make(clock)
    cache.store("k", "allowed", positive=True)
    clock.now += 2.9
    assert cache.fresh("k") == "allowed"
    clock.now += 0.2
    assert cache.fresh("k") is None


def test_refusal_is_fresh_only_for_the_negative_ttl() -> None:
    clock = Clock()
    cache = make(clock)
    cache.store("k", "refused", positive=False)
    clock.now += 0.9
    assert cache.fresh("k") == "refused"
    clock.now += 0.2
    assert cache.fresh("k") is None


def test_expired_allowed_answer_stays_usable_stale_within_the_limit() -> None:
    clock = Clock()
    cache = make(clock, stale_if_error=10)
    cache.store("k", "allowed", positive=True)
    clock.now += 9
    assert cache.fresh("k") is None
    assert cache.stale("k") == "allowed"
    clock.now += 2
    assert cache.stale("k") is None


def test_refusal_is_never_usable_stale() -> None:
    clock = Clock()
    cache = make(clock)
    cache.store("k", "refused", positive=False)
    clock.now += 1.5
    assert cache.stale("k") is None


def test_refusal_replaces_an_earlier_allowed_answer_and_its_stale_life() -> None:
    clock = Clock()
    cache = make(clock)
    cache.store("k", "allowed", positive=True)
    cache.store("k", "refused", positive=False)
    clock.now += 5
    assert cache.stale("k") is None


def test_zero_positive_ttl_disables_reuse_but_keeps_stale_if_error() -> None:
    clock = Clock()
    cache = make(clock, ttl_positive=0)
    cache.store("k", "allowed", positive=True)
    assert cache.fresh("k") is None
    assert cache.stale("k") == "allowed"


def test_least_recently_used_entry_is_evicted_first() -> None:
    clock = Clock()
    cache = make(clock, max_entries=2)
    cache.store("a", "1", positive=True)
    cache.store("b", "2", positive=True)
    assert cache.fresh("a") == "1"  # a is now the most recently used
    cache.store("c", "3", positive=True)
    assert len(cache) == 2
    assert cache.fresh("b") is None
    assert cache.fresh("a") == "1"
    assert cache.fresh("c") == "3"


def test_dead_entries_are_dropped_as_new_ones_arrive() -> None:
    clock = Clock()
    cache = make(clock, stale_if_error=5)
    for key in range(3):
        cache.store(key, "x", positive=False)
    clock.now += 10
    cache.store("new", "y", positive=True)
    assert len(cache) == 1
