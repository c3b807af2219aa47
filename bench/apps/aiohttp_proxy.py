"""The floor for PUB: a minimal ASGI proxy on uvicorn forwarding with one aiohttp ``ClientSession``.

No auth, no routing, no metrics, no logging: the "minimal ASGI proxy" row of ARCHITECTURE.md's
Performance table, which PUB's ≥ 60 % target was set from. Forwards every request to
``BENCH_UPSTREAM`` (``http://host:port``) with pooled keep-alive connections::

    BENCH_UPSTREAM=http://127.0.0.1:17001 .venv/bin/python -m uvicorn bench.apps.aiohttp_proxy:app \\
        --loop uvloop --http httptools --no-access-log
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:7000")
_SKIP = frozenset({b"host", b"connection", b"content-length", b"transfer-encoding"})
_session: aiohttp.ClientSession | None = None


async def _lifespan(receive: Receive, send: Send) -> None:
    global _session
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=100, keepalive_timeout=60)
            _session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if _session is not None:
                await _session.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    assert _session is not None
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k not in _SKIP]
    url = UPSTREAM + scope["path"]
    async with _session.request(scope["method"], url, data=body, headers=headers) as response:
        data = await response.read()
        out = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
        out = [(k, v) for k, v in out if k not in _SKIP and k not in (b"date", b"server")]
        out.append((b"content-length", str(len(data)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        await send({"type": "http.response.body", "body": data})
