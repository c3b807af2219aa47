"""PUB's native upstream client against scripted HTTP servers on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from racetrack.pub.upstream import (
    HIGH_WATER,
    UpstreamBroken,
    UpstreamConnectError,
    UpstreamPool,
    UpstreamTimeout,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Server"], Awaitable[None]]


class Server:
    """A scripted HTTP/1.1 server: ``handler`` serves one connection; counts connections and requests."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.server: asyncio.Server | None = None
        self.address = ""

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.address = f"127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer, self)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
        """The next request on the connection, or None when the client closed it."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = b""
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        request = (lines[0], headers, body)
        self.requests.append(request)
        return request


def ok(body: bytes = b"hello", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%b\r\n%b" % (len(body), extra, body)


async def keep_alive_server(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server
) -> None:
    while await server.read_request(reader) is not None:
        writer.write(ok())
        await writer.drain()


def pool(**overrides: Any) -> UpstreamPool:
    values: dict[str, Any] = {
        "connect_timeout": 1.0,
        "read_timeout": 2.0,
        "max_per_host": 10,
        "keepalive": 3.0,
    }
    values.update(overrides)
    return UpstreamPool(**values)


async def read_all(
    pool_: UpstreamPool, replica: str, method: str = "GET", **kwargs: Any
) -> tuple[int, bytes]:
    response = await pool_.request(replica, method, "/x", [("x-test", "1")], **kwargs)
    body = b""
    while chunk := await response.read():
        body += chunk
    return response.status, body


def run(coroutine: Awaitable[None]) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


# ---------------------------------------------------------------- pooling


def test_connections_are_reused_and_the_request_is_well_formed() -> None:
    async def main() -> None:
        async with Server(keep_alive_server) as server:
            client = pool()
            for _ in range(3):
                assert await read_all(client, server.address) == (200, b"hello")
            assert server.connections == 1
            assert client.idle_count(server.address) == 1
            line, headers, body = server.requests[0]
            assert line == "GET /x HTTP/1.1"
            assert headers["host"] == server.address
            assert headers["x-test"] == "1"
            assert "content-length" not in headers and "transfer-encoding" not in headers
            await client.close()

    run(main())


def test_bytes_body_gets_a_content_length_and_post_without_body_a_zero_one() -> None:
    async def main() -> None:
        async with Server(keep_alive_server) as server:
            client = pool()
            await read_all(client, server.address, "POST", body=b'{"a": 1}')
            await read_all(client, server.address, "POST")
            await read_all(client, server.address, "PUT", body=b"x" * 200_000)
            assert server.requests[0][1]["content-length"] == "8" and server.requests[0][2] == b'{"a": 1}'
            assert server.requests[1][1]["content-length"] == "0"
            assert server.requests[2][2] == b"x" * 200_000
            await client.close()

    run(main())


def test_idle_connections_expire() -> None:
    async def main() -> None:
        async with Server(keep_alive_server) as server:
            client = pool(keepalive=0.1)
            await read_all(client, server.address)
            assert client.open_count(server.address) == 1
            await asyncio.sleep(0.3)  # the sweeper closed it
            assert client.open_count(server.address) == 0
            await read_all(client, server.address)
            assert server.connections == 2
            await client.close()

    run(main())


def test_concurrency_is_bounded_per_replica() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        while await server.read_request(reader) is not None:
            await asyncio.sleep(0.05)
            writer.write(ok())

    async def main() -> None:
        async with Server(slow) as server:
            client = pool(max_per_host=2)
            results = await asyncio.gather(*(read_all(client, server.address) for _ in range(6)))
            assert results == [(200, b"hello")] * 6
            assert server.connections == 2
            await client.close()

    run(main())


def test_connection_close_from_the_job_is_not_reused() -> None:
    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await server.read_request(reader)
        writer.write(ok(extra=b"connection: close\r\n"))

    async def main() -> None:
        async with Server(closing) as server:
            client = pool()
            assert await read_all(client, server.address) == (200, b"hello")
            assert await read_all(client, server.address) == (200, b"hello")
            assert server.connections == 2
            assert client.open_count(server.address) == 0
            await client.close()

    run(main())


# ---------------------------------------------------------------- bodies


def test_streamed_request_body_is_sent_chunked_and_chunked_response_is_relayed() -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        while await server.read_request(reader) is not None:
            writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(b"6\r\nsecond\r\n0\r\n\r\n")

    async def body() -> AsyncIterator[bytes]:
        yield b"part one, "
        await asyncio.sleep(0.01)
        yield b""
        yield b"part two"

    async def main() -> None:
        async with Server(chunked) as server:
            client = pool()
            response = await client.request(server.address, "POST", "/up", [], body())
            assert await response.read() == b"first"  # before the job finished
            assert await response.read() == b"second"
            assert await response.read() == b""
            _, headers, received = server.requests[0]
            assert headers["transfer-encoding"] == "chunked"
            assert received == b"part one, part two"
            # a streamed body with a known length is sent as is
            response = await client.request(
                server.address, "PUT", "/up", [("content-length", "18")], body(), content_length=18
            )
            while await response.read():
                pass
            assert server.requests[1][1]["content-length"] == "18"
            assert server.requests[1][2] == b"part one, part two"
            assert server.connections == 1
            await client.close()

    run(main())


def test_body_ended_by_the_connection_closing() -> None:
    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of")
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.write(b" it")

    async def main() -> None:
        async with Server(until_close) as server:
            client = pool()
            assert await read_all(client, server.address) == (200, b"all of it")
            assert client.open_count(server.address) == 0
            await client.close()

    run(main())


def test_head_204_and_304_have_no_body_and_keep_the_connection() -> None:
    async def no_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        while (request := await server.read_request(reader)) is not None:
            if request[0].startswith("HEAD"):
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n")
            elif request[0].startswith("GET /204"):
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n")

    async def main() -> None:
        async with Server(no_body) as server:
            client = pool()
            response = await client.request(server.address, "HEAD", "/x", [])
            assert response.status == 200 and (b"content-length", b"1234") in response.raw_headers
            assert response.at_eof() and await response.read() == b""
            response = await client.request(server.address, "GET", "/204", [])
            assert response.status == 204 and await response.read() == b""
            response = await client.request(server.address, "GET", "/304", [])
            assert response.status == 304 and await response.read() == b""
            assert server.connections == 1
            await client.close()

    run(main())


def test_informational_response_is_skipped() -> None:
    async def early_hints(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n" + ok(b"done"))

    async def main() -> None:
        async with Server(early_hints) as server:
            client = pool()
            response = await client.request(server.address, "GET", "/x", [])
            assert response.status == 200
            assert [name for name, _ in response.raw_headers] == [b"content-length"]
            assert await response.read() == b"done"
            await client.close()

    run(main())


def test_slow_reader_pauses_the_job_connection() -> None:
    size = 4 * 1024 * 1024

    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size)
        for _ in range(size // 65536):
            writer.write(b"y" * 65536)
            await writer.drain()

    async def main() -> None:
        async with Server(big) as server:
            client = pool()
            response = await client.request(server.address, "GET", "/big", [])
            await asyncio.sleep(0.2)  # the job writes as fast as it can; PUB reads no further
            conn = response._conn
            assert conn.read_paused
            assert conn.buffered < HIGH_WATER + 1024 * 1024
            total = 0
            while chunk := await response.read():
                total += len(chunk)
                assert len(chunk) < HIGH_WATER + 1024 * 1024
            assert total == size
            assert client.idle_count(server.address) == 1
            await client.close()

    run(main())


# ---------------------------------------------------------------- failures


def test_connection_broken_mid_body() -> None:
    async def dying(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial")
        await writer.drain()
        await asyncio.sleep(0.02)

    async def main() -> None:
        async with Server(dying) as server:
            client = pool()
            response = await client.request(server.address, "GET", "/x", [])
            assert await response.read() == b"partial"
            with pytest.raises(UpstreamBroken):
                await response.read()
            assert client.open_count(server.address) == 0
            await client.close()

    run(main())


def test_connection_closed_before_the_head() -> None:
    async def crash(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await server.read_request(reader)

    async def main() -> None:
        async with Server(crash) as server:
            client = pool()
            with pytest.raises(UpstreamBroken):
                await client.request(server.address, "POST", "/x", [], b"data")
            with pytest.raises(UpstreamBroken):  # a new connection: no retry
                await client.request(server.address, "GET", "/x", [])
            assert server.connections == 2
            await client.close()

    run(main())


def test_refused_connection() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def main() -> None:
        client = pool()
        with pytest.raises(UpstreamConnectError) as info:
            await client.request(f"127.0.0.1:{port}", "GET", "/x", [])
        assert isinstance(info.value.__cause__, ConnectionRefusedError)
        assert client.open_count(f"127.0.0.1:{port}") == 0
        await client.close()

    run(main())


def test_silence_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await server.read_request(reader)
        await asyncio.sleep(2)

    async def stalls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
        await asyncio.sleep(2)

    async def main() -> None:
        async with Server(silent) as server:
            client = pool(read_timeout=0.2)
            with pytest.raises(UpstreamTimeout):
                await client.request(server.address, "GET", "/x", [])
            assert client.open_count(server.address) == 0
            await client.close()
        async with Server(stalls) as server:
            client = pool(read_timeout=0.2)
            response = await client.request(server.address, "GET", "/x", [])
            assert await response.read() == b"abc"
            with pytest.raises(UpstreamTimeout):
                await response.read()
            response.close()
            assert client.open_count(server.address) == 0
            await client.close()

    run(main())


def test_stale_pooled_connection_is_retried_for_safe_requests_only() -> None:
    async def one_per_connection(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server
    ) -> None:
        await server.read_request(reader)
        writer.write(ok())
        await writer.drain()
        await server.read_request(reader)  # the second request on this connection: close, no answer

    async def main() -> None:
        async with Server(one_per_connection) as server:
            client = pool()
            assert await read_all(client, server.address) == (200, b"hello")
            assert await read_all(client, server.address) == (200, b"hello")  # retried on a fresh one
            assert server.connections == 2
            with pytest.raises(UpstreamBroken):  # a POST may have had effects: not repeated
                await read_all(client, server.address, "POST", body=b"x")
            assert server.connections == 2
            # …unless it carries an idempotency key
            assert await read_all(client, server.address) == (200, b"hello")
            response = await client.request(server.address, "POST", "/x", [("Idempotency-Key", "k1")], b"x")
            assert response.status == 200
            assert server.connections == 4
            await client.close()

    run(main())


def test_header_injection_is_refused() -> None:
    async def main() -> None:
        client = pool()
        with pytest.raises(ValueError):
            await client.request("127.0.0.1:1", "GET", "/x", [("x-caller-name", "a\r\nx-evil: 1")])
        await client.close()

    run(main())


def test_closing_the_response_ends_a_waiting_read_at_once() -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: Server) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\ntick\r\n")
        await asyncio.sleep(5)

    async def main() -> None:
        async with Server(endless) as server:
            client = pool(read_timeout=10)
            response = await client.request(server.address, "GET", "/x", [])
            assert await response.read() == b"tick"
            reading = asyncio.ensure_future(response.read())
            await asyncio.sleep(0.05)
            response.close()  # what PUB does when its client disconnects
            started = asyncio.get_running_loop().time()
            with pytest.raises(UpstreamBroken):
                await asyncio.wait_for(reading, 1)
            assert await response.read() == b""
            assert asyncio.get_running_loop().time() - started < 0.5
            assert client.open_count(server.address) == 0
            await client.close()

    run(main())


def test_replica_addresses() -> None:
    async def main() -> None:
        client = pool()
        assert client._address("127.0.0.1:7000") == ("127.0.0.1", 7000, "127.0.0.1:7000")
        assert client._address("adder-0-0-2") == ("adder-0-0-2", 80, "adder-0-0-2")
        assert client._address("adder:80") == ("adder", 80, "adder")
        assert client._address("[::1]:7000") == ("::1", 7000, "[::1]:7000")
        secure = pool(scheme="https")
        assert secure._address("job.example:443") == ("job.example", 443, "job.example")
        await client.close()
        await secure.close()

    run(main())
