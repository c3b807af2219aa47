"""The few ASGI types and raw-response helpers PUB needs (no framework on the hot path)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Headers = list[tuple[bytes, bytes]]

JSON_CONTENT_TYPE = (b"content-type", b"application/json")


async def send_bytes(send: Send, status: int, body: bytes, headers: Headers) -> None:
    """Send a complete response in two messages; ``headers`` gets a content-length added."""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_json(send: Send, status: int, payload: Any, headers: Headers | None = None) -> None:
    """Send ``payload`` as a JSON response with ``status``."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    all_headers = [JSON_CONTENT_TYPE]
    if headers:
        all_headers.extend(headers)
    await send_bytes(send, status, body, all_headers)
