"""The ASGI app in process: lifespan, own routes, websocket refusal, separate registries, exports."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

import racetrack.pub
from racetrack.pub import PubSettings, create_app
from racetrack.pub.app import PubApp


def settings(**overrides: Any) -> PubSettings:
    return PubSettings(lifecycle_url="http://127.0.0.1:1/lifecycle", **overrides)


def get(app: PubApp, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pub") as client:
            return await client.get(path)

    return asyncio.run(call())


def test_exported_names_are_all_importable() -> None:
    for name in racetrack.pub.__all__:
        assert getattr(racetrack.pub, name) is not None
    assert "create_app" in racetrack.pub.__all__
    assert "PubSettings" in racetrack.pub.__all__


def test_probes_and_metrics_are_served_in_process() -> None:
    app = create_app(settings(git_version="v1", auth_required=False))
    assert get(app, "/pub/live").json() == {"live": True}
    assert get(app, "/ready").json() == {"ready": True}
    assert get(app, "/health").json()["auth_required"] is False
    metrics = get(app, "/pub/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "pub_health_requests_total 1.0" in metrics.text


def test_unknown_paths_are_json_404s() -> None:
    response = get(create_app(settings()), "/pub/unknown")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found: /pub/unknown"}


def test_two_apps_in_one_process_keep_separate_metrics() -> None:
    first, second = create_app(settings()), create_app(settings())
    get(first, "/health")
    assert "pub_health_requests_total 1.0" in get(first, "/metrics").text
    assert "pub_health_requests_total 0.0" in get(second, "/metrics").text


def test_lifespan_opens_and_closes_the_shared_session() -> None:
    app = create_app(settings())
    sent: list[dict[str, Any]] = []

    async def scenario() -> None:
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
        sessions: list[Any] = []

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0)
            sessions.append((app.session, app.session.closed if app.session else None))
            return next(messages)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan"}, receive, send)
        assert sessions[0] == (None, None)
        session, closed = sessions[1]
        assert session is not None and closed is False  # open after startup
        assert app.session is None
        assert session.closed

    asyncio.run(scenario())
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_websocket_handshakes_are_refused_for_now() -> None:
    app = create_app(settings())
    sent: list[dict[str, Any]] = []

    async def scenario() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "websocket", "path": "/pub/job/a/1/ws"}, receive, send)

    asyncio.run(scenario())
    assert sent == [{"type": "websocket.close", "code": 1003}]


def test_job_call_without_lifespan_opens_the_session_lazily() -> None:
    app = create_app(settings(lifecycle_timeout=0.5))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pub") as client:
            try:
                return await client.get("/pub/job/adder/1.0.0/x")
            finally:
                await app.shutdown()

    response = asyncio.run(call())
    # Lifecycle at port 1 is unreachable: the call got as far as asking it
    assert response.status_code == 500
    assert response.json()["error"].startswith(
        "Proxy request error: Getting job details: Lifecycle is unreachable"
    )


def test_unexpected_failure_of_a_job_call_is_a_counted_json_500() -> None:
    class BrokenAuthorizer:
        async def authorize(self, call: Any, token: str | None, request_id: str) -> Any:
            raise ZeroDivisionError("bug")

    app = create_app(settings(), authorizer=BrokenAuthorizer())

    async def call() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pub") as client:
            try:
                return await client.get("/pub/job/adder/1.0.0/x"), await client.get("/metrics")
            finally:
                await app.shutdown()

    response, metrics = asyncio.run(call())
    assert response.status_code == 500
    assert response.json() == {"error": "Proxy request error: unexpected failure of the gateway"}
    assert "pub_panic_errors_total 1.0" in metrics.text
