"""AccessGate: one Lifecycle call per miss, shared misses, health routing, stale-if-error."""

from __future__ import annotations

import asyncio

import pytest

from racetrack.pub.access import AccessGate, cache_key
from racetrack.pub.cache import TtlLruCache
from racetrack.pub.lifecycle import AccessDecision, JobTarget, LifecycleError, Outcome
from racetrack.pub.metrics import PubMetrics
from racetrack.pub.routing import JobCall

TARGET = JobTarget("adder", "0.0.2", "running", ("127.0.0.1:1",))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedAuthorizer:
    """A real JobAuthorizer answering from a table, counting and optionally delaying calls."""

    def __init__(self) -> None:
        self.tokens = {"good": "User admin"}
        self.calls: list[tuple[str, str, str, str | None]] = []
        self.failing = False
        self.delay = 0.0

    async def authorize(self, call: JobCall, token: str | None, request_id: str) -> AccessDecision:
        self.calls.append((call.name, call.version, call.path, token))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failing:
            raise LifecycleError("Lifecycle is unreachable")
        if call.name != "adder":
            return AccessDecision(Outcome.NOT_FOUND, reason="no such job")
        if call.endpoint in ("/health", "/live", "/ready"):
            return AccessDecision(Outcome.ALLOWED, target=TARGET)
        if token not in self.tokens:
            return AccessDecision(Outcome.UNAUTHENTICATED, reason="bad token")
        return AccessDecision(Outcome.ALLOWED, target=TARGET, caller=self.tokens[token])


def make_gate(clock: Clock, authorizer: ScriptedAuthorizer) -> tuple[AccessGate, PubMetrics]:
    metrics = PubMetrics()
    cache: TtlLruCache[AccessDecision] = TtlLruCache(
        ttl_positive=3, ttl_negative=1, stale_if_error=600, max_entries=100, clock=clock
    )
    return AccessGate(authorizer, cache, metrics, clock=clock), metrics


def value(metrics: PubMetrics, name: str) -> float:
    result = metrics.registry.get_sample_value(name)
    assert result is not None
    return result


def test_cache_key_hashes_the_token_and_normalises_the_endpoint() -> None:
    key = cache_key(JobCall("adder", "latest", "/x/"), "secret")
    assert key[:3] == ("adder", "latest", "/x")
    assert "secret" not in key[3]
    assert len(key[3]) == 64
    assert cache_key(JobCall("adder", "latest", "/x"), None)[3] == ""


def test_health_paths_share_one_token_free_routing_key() -> None:
    keys = {
        cache_key(JobCall("adder", "1.x", path), token)
        for path in ("/health", "/live/")
        for token in ("a", None)
    }
    assert len(keys) == 1


def test_one_lifecycle_call_per_miss_then_hits() -> None:
    async def scenario() -> None:
        clock, authorizer = Clock(), ScriptedAuthorizer()
        gate, metrics = make_gate(clock, authorizer)
        for _ in range(5):
            decision = await gate.check(JobCall("adder", "latest", "/x"), "good", "r")
            assert decision.caller == "User admin"
        assert len(authorizer.calls) == 1
        assert value(metrics, "pub_lifecycle_cache_retrieved_responses_total") == 4
        clock.now = 3.1
        await gate.check(JobCall("adder", "latest", "/x"), "good", "r")
        assert len(authorizer.calls) == 2

    asyncio.run(scenario())


def test_concurrent_misses_of_one_key_share_a_call() -> None:
    async def scenario() -> None:
        authorizer = ScriptedAuthorizer()
        authorizer.delay = 0.05
        gate, _ = make_gate(Clock(), authorizer)
        decisions = await asyncio.gather(
            *(gate.check(JobCall("adder", "1", "/x"), "good", "r") for _ in range(20))
        )
        assert all(d.allowed for d in decisions)
        assert len(authorizer.calls) == 1

    asyncio.run(scenario())


def test_a_cancelled_caller_does_not_cancel_the_shared_lookup() -> None:
    async def scenario() -> None:
        authorizer = ScriptedAuthorizer()
        authorizer.delay = 0.05
        gate, _ = make_gate(Clock(), authorizer)
        first = asyncio.ensure_future(gate.check(JobCall("adder", "1", "/x"), "good", "r1"))
        second = asyncio.ensure_future(gate.check(JobCall("adder", "1", "/x"), "good", "r2"))
        await asyncio.sleep(0.01)
        first.cancel()
        assert (await second).allowed
        assert len(authorizer.calls) == 1

    asyncio.run(scenario())


def test_refusals_are_cached_for_the_negative_ttl() -> None:
    async def scenario() -> None:
        clock, authorizer = Clock(), ScriptedAuthorizer()
        gate, _ = make_gate(clock, authorizer)
        for _ in range(3):
            decision = await gate.check(JobCall("adder", "1", "/x"), "bad", "r")
            assert decision.outcome is Outcome.UNAUTHENTICATED
        assert len(authorizer.calls) == 1
        authorizer.tokens["bad"] = "User now-granted"
        clock.now = 1.01
        assert (await gate.check(JobCall("adder", "1", "/x"), "bad", "r")).allowed

    asyncio.run(scenario())


def test_any_allowed_call_warms_the_health_route_of_the_job() -> None:
    async def scenario() -> None:
        authorizer = ScriptedAuthorizer()
        gate, _ = make_gate(Clock(), authorizer)
        await gate.check(JobCall("adder", "latest", "/api/v1/perform"), "good", "r")
        for path in ("/health", "/live", "/ready"):
            decision = await gate.check(JobCall("adder", "latest", path), "someone-else", "r")
            assert decision.allowed
            assert decision.caller is None
            assert decision.target == TARGET
        assert len(authorizer.calls) == 1

    asyncio.run(scenario())


def test_stale_answer_is_served_when_lifecycle_fails() -> None:
    async def scenario() -> None:
        clock, authorizer = Clock(), ScriptedAuthorizer()
        gate, metrics = make_gate(clock, authorizer)
        await gate.check(JobCall("adder", "1", "/x"), "good", "r")
        authorizer.failing = True
        clock.now = 10
        assert (await gate.check(JobCall("adder", "1", "/x"), "good", "r")).caller == "User admin"
        assert value(metrics, "pub_lifecycle_errors_total") == 1
        assert value(metrics, "pub_lifecycle_cache_recovered_failed_responses_total") == 1
        with pytest.raises(LifecycleError):
            await gate.check(JobCall("adder", "1", "/never-seen"), "good", "r")
        clock.now = 700
        with pytest.raises(LifecycleError):
            await gate.check(JobCall("adder", "1", "/x"), "good", "r")

    asyncio.run(scenario())


def test_while_lifecycle_fails_stale_answers_come_at_once_with_rare_background_probes() -> None:
    async def scenario() -> None:
        clock, authorizer = Clock(), ScriptedAuthorizer()
        gate, _ = make_gate(clock, authorizer)
        await gate.check(JobCall("adder", "1", "/x"), "good", "r")
        authorizer.failing = True
        clock.now = 10
        await gate.check(JobCall("adder", "1", "/x"), "good", "r")  # the failing call
        authorizer.delay = 5  # Lifecycle now hangs: callers must not wait for it
        calls_before = len(authorizer.calls)
        for _ in range(10):
            decision = await asyncio.wait_for(gate.check(JobCall("adder", "1", "/x"), "good", "r"), 0.5)
            assert decision.allowed
        assert len(authorizer.calls) == calls_before + 1  # one background probe

    asyncio.run(scenario())


def test_lifecycle_recovery_ends_stale_serving() -> None:
    async def scenario() -> None:
        clock, authorizer = Clock(), ScriptedAuthorizer()
        gate, _ = make_gate(clock, authorizer)
        await gate.check(JobCall("adder", "1", "/x"), "good", "r")
        authorizer.failing = True
        clock.now = 10
        await gate.check(JobCall("adder", "1", "/x"), "good", "r")
        authorizer.failing = False
        del authorizer.tokens["good"]  # revoked meanwhile
        clock.now = 12  # past the probe interval: this call starts a probe and is served stale
        await gate.check(JobCall("adder", "1", "/x"), "good", "r")
        await asyncio.sleep(0.01)  # the probe succeeds and stores the refusal
        decision = await gate.check(JobCall("adder", "1", "/x"), "good", "r")
        assert decision.outcome is Outcome.UNAUTHENTICATED

    asyncio.run(scenario())
