"""A job process that dies mid-request, for PUB's tests: ``python crashing_job.py PORT``.

- ``/pub/job/<name>/<version>/crash``: exits before answering;
- ``/pub/job/<name>/<version>/crash-after-head``: sends the head and a first chunk, then exits;
- anything else: 200 ``{"alive": true}``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import uvicorn


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    if path.endswith("/crash"):
        os._exit(1)
    if path.endswith("/crash-after-head"):
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        os._exit(1)
    body = b'{"alive": true}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
