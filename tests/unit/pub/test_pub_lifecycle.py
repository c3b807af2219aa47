"""Reading Lifecycle's can-call-job answers (against a real aiohttp server on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from racetrack.pub.lifecycle import LifecycleAuthorizer, LifecycleError, Outcome
from racetrack.pub.metrics import PubMetrics
from racetrack.pub.routing import JobCall

JOB = {"name": "adder", "version": "0.0.2", "status": "running", "internal_name": "127.0.0.1:1"}


def ask(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]], token: str | None = "tok"
) -> tuple[Any, list[web.Request]]:
    """Run one authorize() against a one-route aiohttp server; returns (decision or error, requests)."""
    seen: list[web.Request] = []

    async def route(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        return await handler(request)

    async def scenario() -> Any:
        app = web.Application()
        app.router.add_get("/lifecycle/api/v1/auth/can-call-job/{tail:.*}", route)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            async with aiohttp.ClientSession() as session:
                authorizer = LifecycleAuthorizer(
                    session,
                    lifecycle_url=f"http://127.0.0.1:{port}/lifecycle/",
                    timeout=2,
                    tracing_header="X-Request-Tracing-Id",
                    metrics=PubMetrics(),
                )
                try:
                    return await authorizer.authorize(JobCall("adder", "latest", "/a%20b/c/"), token, "req-1")
                except LifecycleError as e:
                    return e
        finally:
            await runner.cleanup()

    return asyncio.run(scenario()), seen


def test_allowed_answer_gives_target_and_caller() -> None:
    async def handler(request: web.Request) -> web.Response:
        job = {**JOB, "replica_internal_names": ["127.0.0.1:1", "127.0.0.1:2"]}
        return web.json_response({"job": job, "caller": "User admin", "remote_gateway_url": None})

    decision, seen = ask(handler)
    assert decision.outcome is Outcome.ALLOWED
    assert decision.caller == "User admin"
    assert decision.target.replicas == ("127.0.0.1:1", "127.0.0.1:2")
    assert decision.target.version == "0.0.2"
    assert seen[0].raw_path == "/lifecycle/api/v1/auth/can-call-job/adder/latest/a%20b/c/"
    assert seen[0].headers["X-Racetrack-Auth"] == "tok"
    assert seen[0].headers["X-Request-Tracing-Id"] == "req-1"


def test_internal_name_is_the_replica_when_no_replica_list_is_given() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"job": JOB, "caller": None})

    decision, seen = ask(handler, token=None)
    assert decision.target.replicas == ("127.0.0.1:1",)
    assert decision.caller is None
    assert "X-Racetrack-Auth" not in seen[0].headers


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(401, Outcome.UNAUTHENTICATED), (403, Outcome.UNAUTHENTICATED), (404, Outcome.NOT_FOUND)],
)
def test_refusals_carry_lifecycles_reason(status: int, outcome: Outcome) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"error": "no permission to do this operation"}, status=status)

    decision, _ = ask(handler)
    assert decision.outcome is outcome
    assert decision.reason == "no permission to do this operation"


def test_maintenance_503_with_a_message_is_a_refusal() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"error": "Racetrack is currently in maintenance mode."}, status=503)

    decision, _ = ask(handler)
    assert decision.outcome is Outcome.UNAVAILABLE


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_without_a_json_reason_are_lifecycle_failures(status: int) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="<html>bad gateway</html>", status=status)

    error, _ = ask(handler)
    assert isinstance(error, LifecycleError)
    assert str(status) in str(error)


def test_malformed_allowed_answer_is_a_lifecycle_failure() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"caller": "x"})

    error, _ = ask(handler)
    assert isinstance(error, LifecycleError)
    assert "lacks job details" in str(error)


def test_unreachable_lifecycle_is_a_lifecycle_failure() -> None:
    async def scenario() -> Exception:
        async with aiohttp.ClientSession() as session:
            authorizer = LifecycleAuthorizer(
                session,
                lifecycle_url="http://127.0.0.1:1/lifecycle",
                timeout=1,
                tracing_header="X-Request-Tracing-Id",
                metrics=PubMetrics(),
            )
            try:
                await authorizer.authorize(JobCall("adder", "1", "/x"), None, "r")
            except LifecycleError as e:
                return e
        raise AssertionError("no error")

    assert "unreachable" in str(asyncio.run(scenario()))
