"""The embedded server's one port: /pub to PUB, / to the Dashboard, the rest to Lifecycle."""

from __future__ import annotations

import asyncio
from typing import Any

from racetrack.server import PrefixDispatcher


def _dispatch(path: str) -> tuple[str, list[dict[str, Any]]]:
    seen: list[str] = []
    sent: list[dict[str, Any]] = []

    def app(name: str) -> Any:
        async def handle(scope: Any, receive: Any, send: Any) -> None:
            seen.append(name)

        return handle

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    dispatcher = PrefixDispatcher(app("pub"), app("lifecycle"), lambda: None)
    asyncio.run(dispatcher({"type": "http", "path": path}, receive, send))
    return (seen[0] if seen else "redirect"), sent


def test_the_root_address_opens_the_dashboard() -> None:
    target, sent = _dispatch("/")
    assert target == "redirect"
    assert sent[0]["status"] == 307 and dict(sent[0]["headers"])[b"location"] == b"/dashboard/"


def test_pub_paths_go_to_pub_and_the_rest_to_lifecycle() -> None:
    assert _dispatch("/pub/job/adder/latest/api/v1/perform")[0] == "pub"
    assert _dispatch("/pub")[0] == "pub"
    assert _dispatch("/publications")[0] == "lifecycle"
    assert _dispatch("/dashboard/")[0] == "lifecycle"
    assert _dispatch("/lifecycle/api/v1/info")[0] == "lifecycle"
