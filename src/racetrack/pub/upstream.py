"""A minimal HTTP/1.1 client for forwarding calls to job replicas (``upstream_client="native"``).

Built for PUB's one use: send one request, relay the response as it arrives. An
``asyncio.Protocol`` per connection, responses parsed by httptools (llhttp), a pool of idle
keep-alive connections per replica (LIFO, bounded, closed after ``keepalive`` seconds idle).

- The request head (and a small ``bytes`` body) goes out in one ``transport.write``; a streamed
  body is sent as it comes (chunked unless the caller gave a ``Content-Length``), honouring the
  transport's write flow control.
- The response head is returned as soon as it is parsed; body pieces are handed out as they
  arrive. Reading from the job pauses while more than ``HIGH_WATER`` bytes wait for the
  consumer, so a slow client slows the job down instead of filling PUB's memory.
- Bodies framed by ``Content-Length``, chunked, or ended by the connection closing; no body for
  HEAD, 1xx, 204 and 304. A connection is reused only after a complete response that keeps it
  alive (no ``Connection: close``).
- A pooled connection that turns out to be closed before any byte of the response arrived is
  replaced by a new one and the request sent again once, when the body can be replayed (bytes
  or none) and the request is safe to repeat (GET, HEAD, OPTIONS, TRACE, or an
  ``Idempotency-Key`` header: the job may have received the first attempt, as Go's net/http
  reasons). If the new connection cannot be opened, the original failure is raised.

Errors: :class:`UpstreamConnectError` (refused, unreachable; nothing was sent),
:class:`UpstreamConnectTimeout`, :class:`UpstreamBroken` (closed or reset mid-exchange,
invalid response), :class:`UpstreamTimeout` (silence longer than ``read_timeout``).
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from collections import deque
from collections.abc import AsyncIterator

import httptools

HIGH_WATER = 64 * 1024
"""Unread response bytes at which reading from the job pauses (resumed once they are taken)."""
_SMALL_BODY = 64 * 1024
"""A bytes body up to this size is joined to the head for a single write."""
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "TRACE", "CONNECT"})
_REPLAYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
"""Sent again on a fresh connection when a pooled one fails before answering (as Go's net/http):
the job may have received the first attempt, so only requests without side effects qualify,
or any request carrying an ``Idempotency-Key``."""
_IDEMPOTENCY_KEYS = frozenset({"idempotency-key", "x-idempotency-key"})


class UpstreamError(Exception):
    """The exchange with the job failed."""


class UpstreamConnectError(UpstreamError):
    """The connection could not be opened (refused, unreachable, unknown host); nothing was sent."""


class UpstreamConnectTimeout(UpstreamError):
    """The connection was not established within the connect timeout."""


class UpstreamBroken(UpstreamError):
    """The connection closed, was reset, or carried an invalid response, before the response ended."""


class UpstreamTimeout(UpstreamError):
    """The job stayed silent longer than the read timeout."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection to a replica; carries one exchange at a time."""

    def __init__(self, pool: UpstreamPool, key: str) -> None:
        self.pool = pool
        self.key = key
        self.loop = pool.loop
        self.transport: asyncio.Transport | None = None
        self.parser: httptools.HttpResponseParser | None = None
        self.lost = False
        self.counted = True  # counted in the pool's per-replica total
        self.idle_at = 0.0
        self.waiter: asyncio.Future[None] | None = None
        self.drain_waiter: asyncio.Future[None] | None = None
        self.write_paused = False
        self.read_paused = False
        # the current exchange
        self.error: UpstreamError | None = None
        self.received = False
        self.head_done = False
        self.complete = False
        self.framed = False
        self.head_request = False
        self.keep_alive = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: deque[bytes] = deque()
        self.buffered = 0

    # ---------------------------------------------------------------- protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's are not asyncio.Transport

    def data_received(self, data: bytes) -> None:
        parser = self.parser
        if parser is None:  # bytes while idle: the job is out of step, never reuse this connection
            self.keep_alive = False
            self.abort()
            return
        self.received = True
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.error = UpstreamBroken("the job switched protocols, which PUB does not relay")
            self.abort()
        except httptools.HttpParserError as e:
            if not self.complete:
                self.error = UpstreamBroken(f"invalid response from the job: {e}")
            self.keep_alive = False
            self.abort()
        if self.buffered > HIGH_WATER and not self.read_paused and not self.lost:
            self.read_paused = True
            assert self.transport is not None
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        return False  # close the transport: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.parser is not None and not self.complete:
            if self.head_done and not self.framed:
                self.complete = True  # a body delimited by the connection closing
                self.keep_alive = False
            elif self.error is None:
                detail = f": {exc}" if exc else ""
                self.error = UpstreamBroken(f"the job closed the connection{detail}")
        self._wake()
        drain = self.drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(None)
        if self.parser is None:
            self.pool._forget(self)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        drain = self.drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(None)

    # ---------------------------------------------------------------- parser callbacks

    def on_message_begin(self) -> None:
        self.headers = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        if len(name) in (14, 17) and name.lower() in (b"content-length", b"transfer-encoding"):
            self.framed = True

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            return  # informational: the real head follows
        self.status = status
        self.head_done = True
        self.keep_alive = self.parser.should_keep_alive()
        if status in (204, 304):
            self.framed = True
        if self.head_request:
            self.framed = True
            self.complete = True  # llhttp would wait for a Content-Length body a HEAD never gets

    def on_body(self, body: bytes) -> None:
        if self.complete:  # bytes after a HEAD response's head
            self.keep_alive = False
            return
        self.chunks.append(body)
        self.buffered += len(body)

    def on_message_complete(self) -> None:
        if self.head_done:
            self.complete = True
        else:  # end of an informational response
            self.framed = False

    # ---------------------------------------------------------------- the exchange

    def abort(self) -> None:
        self.keep_alive = False
        if self.transport is not None and not self.lost:
            self.transport.abort()
        self._wake()  # a reader waiting on this exchange sees it end now

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _timed_out(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(UpstreamTimeout(f"no answer from the job for {self.pool.read_timeout:g} s"))

    async def _wait(self) -> None:
        waiter = self.waiter = self.loop.create_future()
        timer = self.loop.call_later(self.pool.read_timeout, self._timed_out, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self.waiter = None

    def start(self, head_request: bool) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.error = None
        self.received = self.head_done = self.complete = self.framed = self.keep_alive = False
        self.head_request = head_request
        self.status = 0
        self.headers = []
        self.buffered = 0
        self.chunks.clear()

    async def drain(self) -> None:
        if self.lost:
            raise self.error or UpstreamBroken("the job closed the connection")
        if self.write_paused:
            self.drain_waiter = self.loop.create_future()
            try:
                await self.drain_waiter
            finally:
                self.drain_waiter = None
            if self.lost:
                raise self.error or UpstreamBroken("the job closed the connection")

    async def wait_head(self) -> None:
        while not self.head_done:
            if self.error is not None:
                raise self.error
            if self.lost:
                raise UpstreamBroken("the job closed the connection")
            await self._wait()

    async def read(self) -> bytes:
        while True:
            chunks = self.chunks
            if chunks:
                data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
                chunks.clear()
                self.buffered = 0
                if self.read_paused and not self.lost:
                    self.read_paused = False
                    assert self.transport is not None
                    self.transport.resume_reading()
                return data
            if self.complete:
                return b""
            if self.error is not None:
                raise self.error
            if self.lost or self.parser is None:  # closed by the consumer (client gone) or the job
                raise UpstreamBroken("the connection to the job was closed")
            await self._wait()


class UpstreamResponse:
    """A job's response: ``status`` and ``raw_headers`` (names as sent), then :meth:`read`."""

    __slots__ = ("_conn", "status", "raw_headers", "_done")

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn
        self.status = conn.status
        self.raw_headers = conn.headers
        self._done = False

    async def read(self) -> bytes:
        """The next piece of the body, ``b""`` at its end (then the connection is back in the pool).

        Raises :class:`UpstreamBroken` when the job goes away mid-body, :class:`UpstreamTimeout`
        after ``read_timeout`` of silence; returns ``b""`` after :meth:`close`.
        """
        if self._done:
            return b""
        try:
            data = await self._conn.read()
        except BaseException:
            self.close()
            raise
        if not data:
            self._finish()
        return data

    def at_eof(self) -> bool:
        """Whole body read (then the connection is already back in the pool)."""
        if self._done:
            return True
        conn = self._conn
        if conn.complete and not conn.chunks:
            self._finish()
            return True
        return False

    def _finish(self) -> None:
        self._done = True
        self._conn.pool._release(self._conn)

    def close(self) -> None:
        """Abandon the response: the connection is closed unless the body was read to its end."""
        if not self._done:
            self._done = True
            conn = self._conn
            conn.abort()
            conn.pool._release(conn)


class UpstreamPool:
    """Connections to job replicas (``host:port``), pooled per replica."""

    def __init__(
        self,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_per_host: int = 100,
        keepalive: float = 3.0,
        scheme: str = "http",
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_per_host = max_per_host
        self.keepalive = keepalive
        self._ssl: ssl_module.SSLContext | None = None
        if scheme == "https":
            self._ssl = ssl or ssl_module.create_default_context()
        self._default_port = 443 if scheme == "https" else 80
        self._idle: dict[str, list[_Connection]] = {}
        self._count: dict[str, int] = {}
        self._waiters: dict[str, deque[asyncio.Future[None]]] = {}
        self._addresses: dict[str, tuple[str, int, str]] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._closed = False

    # ---------------------------------------------------------------- public

    async def request(
        self,
        replica: str,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | AsyncIterator[bytes] | None = None,
        content_length: int = -1,
    ) -> UpstreamResponse:
        """Send one request to ``replica`` and return once the response head has arrived.

        ``headers`` must not contain Host, Connection or Transfer-Encoding; a ``Content-Length``
        among them is announced by ``content_length`` >= 0 (else one is added for a bytes body,
        and a streamed body is sent chunked).
        """
        host, port, host_header = self._address(replica)
        lines = [f"{method} {target} HTTP/1.1\r\nhost: {host_header}\r\n"]
        replayable = method in _REPLAYABLE_METHODS
        for name, value in headers:
            lines.append(f"{name}: {value}\r\n")
            if not replayable and len(name) in (15, 17) and name.lower() in _IDEMPOTENCY_KEYS:
                replayable = True
        streamed = body is not None and not isinstance(body, bytes)
        if content_length < 0:
            if isinstance(body, bytes):
                lines.append(f"content-length: {len(body)}\r\n")
            elif streamed:
                lines.append("transfer-encoding: chunked\r\n")
            elif method not in _NO_BODY_METHODS:
                lines.append("content-length: 0\r\n")
        lines.append("\r\n")
        text = "".join(lines)
        expected = len(lines) + 1  # the first piece holds the request line and Host
        if text.count("\n") != expected or text.count("\r") != expected:
            raise ValueError("Newline or carriage return character in a header of the request to the job")
        head = text.encode("latin-1")
        chunked = streamed and content_length < 0
        stale_error: UpstreamBroken | None = None
        while True:
            try:
                conn, reused = await self._acquire(replica, host, port, stale_error is not None)
            except (UpstreamConnectError, UpstreamConnectTimeout):
                if stale_error is not None:
                    raise stale_error from None  # the job is gone: report the broken connection
                raise
            try:
                conn.start(method == "HEAD")
                transport = conn.transport
                assert transport is not None
                if isinstance(body, bytes) and body:
                    if len(body) <= _SMALL_BODY:
                        transport.write(head + body)
                    else:
                        transport.write(head)
                        transport.write(body)
                elif streamed:
                    transport.write(head)
                    await self._send_stream(conn, body, chunked)  # type: ignore[arg-type]
                else:
                    transport.write(head)
                await conn.wait_head()
            except UpstreamBroken as e:
                stale = reused and not conn.received and replayable and not streamed
                conn.abort()
                self._release(conn)
                if stale:
                    stale_error = e  # the job closed the idle connection: send once more, freshly
                    continue
                raise
            except BaseException:
                conn.abort()
                self._release(conn)
                raise
            return UpstreamResponse(conn)

    async def close(self) -> None:
        """Close every idle connection (connections in use close when their exchange ends)."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for idle in self._idle.values():
            for conn in idle:
                conn.abort()
        self._idle.clear()
        for waiters in self._waiters.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(UpstreamConnectError("the client is closed"))
        self._waiters.clear()

    def idle_count(self, replica: str) -> int:
        """Idle pooled connections to ``replica`` (for tests and diagnostics)."""
        return sum(1 for conn in self._idle.get(replica, ()) if not conn.lost)

    def open_count(self, replica: str) -> int:
        """Open connections to ``replica``, idle or in use."""
        return self._count.get(replica, 0)

    # ---------------------------------------------------------------- internals

    def _address(self, replica: str) -> tuple[str, int, str]:
        address = self._addresses.get(replica)
        if address is None:
            host, colon, port_text = replica.rpartition(":")
            if not colon or not port_text.isdigit() or host.endswith(":"):
                host, port = replica, self._default_port
            else:
                port = int(port_text)
            host_header = host if port == self._default_port else replica
            host = host.strip("[]")
            address = self._addresses[replica] = (host, port, host_header)
        return address

    async def _send_stream(self, conn: _Connection, body: AsyncIterator[bytes], chunked: bool) -> None:
        transport = conn.transport
        assert transport is not None
        async for chunk in body:
            if not chunk:
                continue
            if conn.lost:
                raise conn.error or UpstreamBroken("the job closed the connection")
            if chunked:
                transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            else:
                transport.write(chunk)
            await conn.drain()
        if chunked:
            transport.write(b"0\r\n\r\n")

    async def _acquire(self, key: str, host: str, port: int, fresh_only: bool) -> tuple[_Connection, bool]:
        if self._closed:
            raise UpstreamConnectError("the client is closed")
        while True:
            idle = self._idle.get(key)
            if idle and not fresh_only:
                now = self.loop.time()
                while idle:
                    conn = idle.pop()
                    if conn.lost:
                        continue
                    if now - conn.idle_at >= self.keepalive:
                        conn.abort()  # the freshest one expired: all older ones did too
                        self._forget(conn)
                        for old in idle:
                            old.abort()
                            self._forget(old)
                        idle.clear()
                        break
                    return conn, True
            count = self._count.get(key, 0)
            if fresh_only and idle:  # make room by closing an idle connection
                old = idle.pop(0)
                old.abort()
                self._forget(old)
                count = self._count.get(key, 0)
            if count < self.max_per_host:
                break
            waiter = self.loop.create_future()
            self._waiters.setdefault(key, deque()).append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one(key)  # pass the turn on
                raise
        self._count[key] = self._count.get(key, 0) + 1
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await self.loop.create_connection(
                    lambda: _Connection(self, key),
                    host,
                    port,
                    ssl=self._ssl,
                    server_hostname=host if self._ssl is not None else None,
                )
        except TimeoutError:
            self._uncount(key)
            raise UpstreamConnectTimeout(
                f"connecting to {key} took longer than {self.connect_timeout:g} s"
            ) from None
        except OSError as e:
            self._uncount(key)
            raise UpstreamConnectError(f"cannot connect to {key}: {e}") from e
        except BaseException:
            self._uncount(key)
            raise
        return conn, False

    def _release(self, conn: _Connection) -> None:
        """End the exchange on ``conn``: back to the idle pool if it can carry another one."""
        if conn.parser is None:
            return
        conn.parser = None
        if conn.keep_alive and conn.complete and not conn.lost and not self._closed and not conn.read_paused:
            conn.idle_at = self.loop.time()
            self._idle.setdefault(conn.key, []).append(conn)
            if self._sweeper is None:
                self._sweeper = self.loop.call_later(self.keepalive, self._sweep)
            self._wake_one(conn.key)
            return
        if not conn.lost:
            conn.abort()
        self._forget(conn)

    def _forget(self, conn: _Connection) -> None:
        """``conn`` is closed or closing: it no longer counts against its replica's limit."""
        if conn.counted:
            conn.counted = False
            self._uncount(conn.key)

    def _uncount(self, key: str) -> None:
        count = self._count.get(key, 0) - 1
        if count > 0:
            self._count[key] = count
        else:
            self._count.pop(key, None)
        self._wake_one(key)

    def _wake_one(self, key: str) -> None:
        waiters = self._waiters.get(key)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _sweep(self) -> None:
        self._sweeper = None
        now = self.loop.time()
        remaining = False
        for key, idle in list(self._idle.items()):
            kept = []
            for conn in idle:
                if conn.lost:
                    continue
                if now - conn.idle_at >= self.keepalive:
                    conn.abort()
                    self._forget(conn)
                else:
                    kept.append(conn)
            if kept:
                self._idle[key] = kept
                remaining = True
            else:
                del self._idle[key]
        if remaining and not self._closed:
            self._sweeper = self.loop.call_later(self.keepalive / 2, self._sweep)
