"""Sending responses and reading request bodies over raw ASGI."""

from __future__ import annotations

import json

from racetrack_job_runtime.errors import PayloadTooLargeError
from racetrack_job_runtime.types import Receive, Send

JSON = b"application/json"
HTML = b"text/html; charset=utf-8"
_CONTENT_LENGTHS = [str(n).encode() for n in range(4096)]


def content_length(size: int) -> bytes:
    return _CONTENT_LENGTHS[size] if size < 4096 else str(size).encode()


async def send_bytes(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = JSON,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """One complete response with ``content-length`` set."""
    response_headers = [(b"content-type", content_type), (b"content-length", content_length(len(body)))]
    if headers:
        response_headers.extend(headers)
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})


def error_body(message: str, type_name: str) -> bytes:
    """The canonical error shape ``{"error": ..., "type": ...}``."""
    return json.dumps({"error": message, "type": type_name}, ensure_ascii=False).encode("utf-8")


async def send_redirect(send: Send, location: str, status: int = 302) -> None:
    await send_bytes(send, status, b"", JSON, [(b"location", location.encode("latin-1", "replace"))])


async def read_body(receive: Receive, limit: int, declared: int | None = None) -> bytes:
    """The whole request body; ``PayloadTooLargeError`` beyond ``limit`` bytes."""
    if declared is not None and declared > limit:
        raise PayloadTooLargeError(f"request body of {declared} bytes exceeds the limit of {limit} bytes")
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise PayloadTooLargeError(f"request body exceeds the limit of {limit} bytes")
        return body
    chunks = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
