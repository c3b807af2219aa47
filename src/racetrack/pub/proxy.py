"""The job call: read the request once, authorise it, forward it, stream the answer back.

Request towards the job (spec §6): the tracing id is read or generated and always set; the
caller header is overwritten with Lifecycle's caller description or removed; X-Forwarded-For
gets the client appended, X-Forwarded-Host and X-Forwarded-Proto are set unless a proxy in
front already set them; Host becomes the replica's address; hop-by-hop headers and PUB's own
credentials (auth headers and auth cookies) are dropped. Bodies are streamed both ways.

Response towards the client: hop-by-hop headers dropped, a Location pointing at the job's
internal address made host-relative, the tracing id and ``Server-Timing: gateway;dur=…,
job;dur=…`` added (gateway = time spent in PUB before the job answered, job = time until the
job's response head arrived).

The job is called with ``upstream_client``: PUB's own HTTP/1.1 client (``racetrack.pub.upstream``,
the default) or aiohttp; both share the failover, error mapping and response handling below.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from loguru import logger
from yarl import URL

from racetrack.core.logs import access_logger
from racetrack.pub.access import AccessGate
from racetrack.pub.asgi import Headers, Receive, Scope, Send, send_json
from racetrack.pub.credentials import TOKEN_NAMES, pick_token, strip_auth_cookies
from racetrack.pub.lifecycle import AccessDecision, JobTarget, LifecycleError, Outcome
from racetrack.pub.metrics import JobMetrics, PubMetrics
from racetrack.pub.routing import InvalidJobPathError, parse_job_call
from racetrack.pub.settings import PubSettings
from racetrack.pub.upstream import (
    UpstreamBroken,
    UpstreamConnectError,
    UpstreamConnectTimeout,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    UpstreamTimeout,
)

NOT_SERVING_STATUSES = frozenset({"lost", "starting", "created"})
"""Job statuses answered with 503 instead of trying to connect."""

# what to do with each incoming header (anything not listed is forwarded unchanged)
_TOKEN, _TRACING, _DROP, _COOKIE, _LENGTH, _CHUNKED, _XFF, _XFH, _XFP, _HOST, _CONNECTION = range(11)
_HOP_BY_HOP = (
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
)
_RESPONSE_DROP = frozenset({*_HOP_BY_HOP, b"date", b"server"})  # the ASGI server sets its own


class _BodyState:
    """What happened to the request body while the upstream client was sending it."""

    __slots__ = ("done", "too_large", "client_gone")

    def __init__(self) -> None:
        self.done = False
        self.too_large = False
        self.client_gone = False


class _BodyAborted(Exception):
    pass


class JobProxy:
    """Handles ``/job/...`` (and ``/fatman/...``) calls; one instance per app."""

    def __init__(self, settings: PubSettings, gate: AccessGate, metrics: PubMetrics) -> None:
        self.settings = settings
        self.gate = gate
        self.metrics = metrics
        self.session: aiohttp.ClientSession | None = None  # set by the app at start-up
        self.upstream: UpstreamPool | None = None  # set at start-up when upstream_client is "native"
        self._auth_debug = settings.auth_debug
        self._access_log = settings.access_log
        self._max_body = settings.max_body_bytes
        self._scheme = settings.forward_to_protocol
        self._tracing_name = settings.request_tracing_header
        self._tracing_b = settings.request_tracing_header.lower().encode("latin-1")
        self._caller_name = settings.caller_name_header
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None,
            sock_connect=settings.job_connect_timeout,
            sock_read=settings.job_request_timeout,
        )
        actions: dict[bytes, int] = dict.fromkeys(_HOP_BY_HOP, _DROP)
        actions.update(dict.fromkeys(TOKEN_NAMES, _TOKEN))
        actions.update(
            {
                b"connection": _CONNECTION,
                b"transfer-encoding": _CHUNKED,
                b"content-length": _LENGTH,
                b"cookie": _COOKIE,
                b"host": _HOST,
                b"expect": _DROP,  # the ASGI server answers 100-continue itself
                b"x-forwarded-for": _XFF,
                b"x-forwarded-host": _XFH,
                b"x-forwarded-proto": _XFP,
                settings.caller_name_header.lower().encode("latin-1"): _DROP,
                self._tracing_b: _TRACING,
            }
        )
        self._actions = actions
        self._response_drop = _RESPONSE_DROP | {self._tracing_b}
        self._round_robin: dict[tuple[str, str], int] = {}
        self._log_access = access_logger()

    async def handle(self, scope: Scope, receive: Receive, send: Send, remainder: str) -> None:
        """Serve one job call; ``remainder`` is the path after ``/job``."""
        started = time.perf_counter()
        actions = self._actions
        forwarded: list[tuple[str, str]] = []
        tokens: dict[bytes, bytes] = {}
        tracing_id: bytes | None = None
        cookie: bytes | None = None
        content_length = -1
        chunked = False
        host = xff = xfh = xfp = None
        connection: bytes | None = None
        for name, value in scope["headers"]:
            action = actions.get(name)
            if action is None:
                forwarded.append((name.decode("latin-1"), value.decode("latin-1")))
            elif action == _LENGTH:
                forwarded.append(("content-length", value.decode("latin-1")))
                content_length = int(value) if value.isdigit() else 0
            elif action == _TOKEN:
                tokens.setdefault(name, value)
            elif action == _TRACING:
                tracing_id = value
            elif action == _COOKIE:
                cookie = value if cookie is None else cookie + b"; " + value
            elif action == _HOST:
                host = value
            elif action == _CHUNKED:
                chunked = True
            elif action == _XFF:
                xff = value if xff is None else xff + b", " + value
            elif action == _XFH:
                xfh = value
            elif action == _XFP:
                xfp = value
            elif action == _CONNECTION:
                connection = value
        request_id = tracing_id.decode("latin-1") if tracing_id else str(uuid.uuid4())
        response_headers: Headers = [(self._tracing_b, request_id.encode("latin-1"))]
        method: str = scope["method"]
        logger.debug("Incoming Proxy request", requestId=request_id, method=method, path=scope["path"])

        try:
            call = parse_job_call(remainder)
        except InvalidJobPathError as e:
            return await self._reject(send, 400, str(e), request_id, response_headers, auth=False)
        if self._max_body and content_length > self._max_body:
            message = f"Request body of {content_length} bytes exceeds the limit of {self._max_body} bytes"
            return await self._reject(send, 413, message, request_id, response_headers, auth=False)

        token = pick_token(tokens, cookie)
        try:
            decision = await self.gate.check(call, token, request_id)
        except LifecycleError as e:
            return await self._reject(
                send, 500, f"Getting job details: {e}", request_id, response_headers, call=call.name
            )
        if decision.outcome is not Outcome.ALLOWED:
            return await self._refuse(send, decision, call.name, call.version, request_id, response_headers)
        target = decision.target
        assert target is not None
        self.metrics.auth_successful.inc()
        if not target.replicas or target.status in NOT_SERVING_STATUSES:
            message = (
                f"Job {target.name} {target.version} is not serving (status: {target.status or 'unknown'})"
            )
            return await self._reject(
                send, 503, message, request_id, response_headers, auth=False, call=call.name
            )
        job_metrics = self.metrics.job(target.name, target.version)
        job_metrics.proxy_requests.inc()
        self.metrics.last_calls.record(target.name, target.version)
        if target.remote_gateway_url:
            # Remote gateway mode (spec §12) is not implemented: say so instead of misrouting.
            return await self._proxy_error(
                send, 502, "remote gateway mode is not supported by this PUB", None, target, decision,
                request_id, response_headers, job_metrics,
            )  # fmt: skip

        if connection is not None:
            named = {t.strip().lower() for t in connection.decode("latin-1").split(",")} - {
                "close",
                "keep-alive",
            }
            if named:
                forwarded = [(n, v) for n, v in forwarded if n not in named]
        if cookie is not None and (kept := strip_auth_cookies(cookie)) is not None:
            forwarded.append(("cookie", kept.decode("latin-1")))
        forwarded.append((self._tracing_name, request_id))
        if decision.caller:
            forwarded.append((self._caller_name, decision.caller))
        client = scope.get("client")
        if client:
            forwarded.append(
                ("x-forwarded-for", f"{xff.decode('latin-1')}, {client[0]}" if xff else client[0])
            )
        elif xff is not None:
            forwarded.append(("x-forwarded-for", xff.decode("latin-1")))
        if xfh is not None:
            forwarded.append(("x-forwarded-host", xfh.decode("latin-1")))
        elif host is not None:
            forwarded.append(("x-forwarded-host", host.decode("latin-1")))
        forwarded.append(("x-forwarded-proto", xfp.decode("latin-1") if xfp is not None else scope["scheme"]))

        body_state = _BodyState()
        data: Any = None
        if content_length > 0 or chunked:
            data = await self._read_body(receive, body_state)
            if body_state.too_large or body_state.client_gone:
                return await self._body_failed(send, body_state, request_id, response_headers)
        else:
            body_state.done = True
        query: bytes = scope.get("query_string", b"")

        async def fresh_target() -> JobTarget | None:
            # the cached answer named replicas that refuse: a redeploy moved the job, or it was deleted
            fresh = await self.gate.refresh(call, token, request_id)
            if fresh is not None and not fresh.allowed:
                raise _NoLongerAllowed(fresh)
            return fresh.target if fresh is not None else None

        try:
            await self._forward(
                send, receive, method, call.path, query, forwarded, data, body_state, target, decision,
                request_id, response_headers, job_metrics, started, fresh_target, content_length,
            )  # fmt: skip
        except _NoLongerAllowed as e:
            await self._refuse(send, e.decision, call.name, call.version, request_id, response_headers)

    async def _read_body(self, receive: Receive, state: _BodyState) -> bytes | AsyncIterator[bytes] | None:
        """The body as bytes when it came in one piece, else a stream that enforces the limit."""
        message = await receive()
        if message["type"] == "http.disconnect":
            state.client_gone = True
            return None
        first: bytes = message.get("body", b"")
        if self._max_body and len(first) > self._max_body:
            state.too_large = True
            return None
        if not message.get("more_body", False):
            state.done = True
            return first
        return self._stream_body(receive, first, state)

    async def _stream_body(self, receive: Receive, first: bytes, state: _BodyState) -> AsyncIterator[bytes]:
        limit = self._max_body
        total = len(first)
        if first:
            yield first
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                state.client_gone = True
                raise _BodyAborted("client disconnected while sending the body")
            chunk: bytes = message.get("body", b"")
            total += len(chunk)
            if limit and total > limit:
                state.too_large = True
                raise _BodyAborted("request body too large")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                state.done = True
                return

    def _first_replica(self, target: JobTarget) -> int:
        """Index of the replica to try first: round-robin per resolved job."""
        if len(target.replicas) == 1:
            return 0
        key = (target.name, target.version)
        index = self._round_robin.get(key, 0)
        self._round_robin[key] = (index + 1) % len(target.replicas)
        return index

    async def _forward(
        self,
        send: Send,
        receive: Receive,
        method: str,
        job_path: str,
        query: bytes,
        headers: list[tuple[str, str]],
        data: Any,
        body_state: _BodyState,
        target: JobTarget,
        decision: AccessDecision,
        request_id: str,
        response_headers: Headers,
        job_metrics: JobMetrics,
        started: float,
        fresh_target: Callable[[], Awaitable[JobTarget | None]] | None = None,
        content_length: int = -1,
    ) -> None:
        session = self.session
        assert session is not None, "PUB's HTTP session is not open: the app's lifespan did not run"
        native = self.upstream
        path = f"/pub/job/{target.name}/{target.version}{job_path}"
        if query:
            path += "?" + query.decode("latin-1")
        # a refused connection sent nothing, so another replica may be tried (not with a stream body)
        attempts = len(target.replicas) if data is None or isinstance(data, bytes) else 1
        job_metrics.started.inc()
        job_started = time.perf_counter()
        response_started = False
        status = 502
        first = self._first_replica(target)
        replicas = target.replicas
        try:
            attempt = 0
            while attempt < attempts:
                replica = replicas[(first + attempt) % len(replicas)]
                attempt += 1
                try:
                    if native is not None:
                        upstream = await native.request(replica, method, path, headers, data, content_length)
                        try:
                            status = upstream.status
                            await self._send_head(
                                send, status, upstream.raw_headers, replicas, response_headers, started,
                                job_started,
                            )  # fmt: skip
                            response_started = True
                            await self._stream_native(send, receive, upstream, body_state)
                        finally:
                            upstream.close()
                        break
                    url = URL(f"{self._scheme}://{replica}{path}", encoded=True)
                    async with session.request(
                        method, url, headers=headers, data=data, timeout=self._timeout, allow_redirects=False
                    ) as response:
                        status = response.status
                        await self._send_head(
                            send,
                            status,
                            response.raw_headers,
                            replicas,
                            response_headers,
                            started,
                            job_started,
                        )
                        response_started = True
                        await self._stream_response(send, receive, response, body_state)
                    break
                except (aiohttp.ClientConnectorError, UpstreamConnectError):
                    if response_started:
                        raise
                    if attempt >= attempts:
                        replayable = data is None or isinstance(data, bytes)
                        moved = await fresh_target() if fresh_target is not None and replayable else None
                        fresh_target = None  # look the job up again at most once per call
                        if moved is None or not moved.replicas or moved.replicas == replicas:
                            raise
                        replicas, first, attempt = moved.replicas, 0, 0
                        attempts = len(replicas)
                        continue
                    logger.warning(
                        "Job replica refused the connection, trying another",
                        jobName=target.name, jobVersion=target.version, host=replica, requestId=request_id,
                    )  # fmt: skip
        except (aiohttp.ClientError, UpstreamError, TimeoutError, _BodyAborted, _ClientGone) as e:
            await self._forward_failed(
                send, e, response_started, body_state, target, decision, request_id, response_headers,
                job_metrics,
            )  # fmt: skip
            return
        finally:
            elapsed = time.perf_counter() - job_started
            job_metrics.done.inc()
            job_metrics.response_time.inc(elapsed)
            job_metrics.response_time_histogram.observe(elapsed)
            self.metrics.overall_response_time.inc(time.perf_counter() - started)
        job_metrics.response_code(status).inc()
        if self._access_log:
            self._log_access(
                "Proxy request done",
                jobName=target.name, jobVersion=target.version, jobPath=job_path, caller=decision.caller,
                status=status, duration=round(time.perf_counter() - started, 6), requestId=request_id,
            )  # fmt: skip

    async def _send_head(
        self,
        send: Send,
        status: int,
        raw_headers: Any,
        replicas: tuple[str, ...],
        out: Headers,
        started: float,
        job_started: float,
    ) -> None:
        """Send the job's response head: filtered headers, relative Location, Server-Timing."""
        head_at = time.perf_counter()
        drop = self._response_drop
        for name, value in raw_headers:
            name = name.lower()
            if name in drop:
                continue
            if name == b"location":
                value = _relative_location(value, replicas)
            out.append((name, value))
        job_ms = (head_at - job_started) * 1000
        gateway_ms = (head_at - started) * 1000 - job_ms
        out.append((b"server-timing", b"gateway;dur=%.3f, job;dur=%.3f" % (gateway_ms, job_ms)))
        await send({"type": "http.response.start", "status": status, "headers": out})

    async def _stream_native(
        self, send: Send, receive: Receive, response: UpstreamResponse, body_state: _BodyState
    ) -> None:
        """:meth:`_relay_body` for the native client."""
        await self._relay_body(send, receive, response.read, response.at_eof, response, body_state)

    async def _stream_response(
        self, send: Send, receive: Receive, response: aiohttp.ClientResponse, body_state: _BodyState
    ) -> None:
        """:meth:`_relay_body` for aiohttp's client."""
        content = response.content
        await self._relay_body(send, receive, content.readany, content.at_eof, response, body_state)

    async def _relay_body(
        self,
        send: Send,
        receive: Receive,
        read: Callable[[], Awaitable[bytes]],
        at_eof: Callable[[], bool],
        response: aiohttp.ClientResponse | UpstreamResponse,
        body_state: _BodyState,
    ) -> None:
        """Relay the body as it arrives; one message when it all came in one read."""
        chunk = await read()
        if not chunk or at_eof():
            await send({"type": "http.response.body", "body": chunk, "more_body": False})
            return
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        # a long stream: stop reading the job as soon as the client goes away
        watcher = None
        if body_state.done:
            watcher = asyncio.ensure_future(_close_on_disconnect(receive, response, body_state))
        try:
            while True:
                chunk = await read()
                if not chunk:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            if watcher is not None:
                watcher.cancel()
        if body_state.client_gone:
            raise _ClientGone()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _forward_failed(
        self,
        send: Send,
        error: BaseException,
        response_started: bool,
        body_state: _BodyState,
        target: JobTarget,
        decision: AccessDecision,
        request_id: str,
        response_headers: Headers,
        job_metrics: JobMetrics,
    ) -> None:
        """Answer a failed forward (or only log it when the response head is already sent)."""
        metrics = self.metrics
        if body_state.too_large and not response_started:
            job_metrics.response_code(413).inc()
            await self._body_failed(send, body_state, request_id, response_headers[:1])
            return
        if body_state.client_gone:
            metrics.context_canceled.inc()
            logger.info(
                "Proxy request canceled by the client",
                jobName=target.name, jobVersion=target.version, requestId=request_id,
            )  # fmt: skip
            return
        status, cause = _classify(error, metrics)
        metrics.proxy_errors.inc()
        if response_started:
            # the head is gone already: end the connection so the client sees a truncated answer
            logger.error(
                "Reverse proxy error",
                error=f"{cause} after the response started", detail=_describe(error),
                jobName=target.name, jobVersion=target.version, jobStatus=target.status,
                caller=decision.caller, requestId=request_id,
            )  # fmt: skip
            job_metrics.response_code(status).inc()
            return
        await self._proxy_error(
            send, status, cause, error, target, decision, request_id, response_headers[:1], job_metrics
        )

    async def _proxy_error(
        self,
        send: Send,
        status: int,
        cause: str,
        error: BaseException | None,
        target: JobTarget,
        decision: AccessDecision,
        request_id: str,
        headers: Headers,
        job_metrics: JobMetrics,
    ) -> None:
        logger.error(
            "Reverse proxy error",
            error=cause, detail=_describe(error) if error else None, jobName=target.name,
            jobVersion=target.version, jobStatus=target.status, caller=decision.caller, requestId=request_id,
        )  # fmt: skip
        job_metrics.response_code(status).inc()
        body = {
            "error": f"Reverse proxy error: {cause}",
            "jobName": target.name,
            "jobVersion": target.version,
            "jobStatus": target.status,
            "requestId": request_id,
            "caller": decision.caller,
        }
        await send_json(send, status, body, headers)

    async def _body_failed(self, send: Send, state: _BodyState, request_id: str, headers: Headers) -> None:
        if state.client_gone:
            self.metrics.context_canceled.inc()
            logger.info("Proxy request canceled by the client", requestId=request_id)
            return
        message = f"Request body exceeds the limit of {self._max_body} bytes"
        await self._reject(send, 413, message, request_id, headers[:1], auth=False)

    async def _refuse(
        self, send: Send, decision: AccessDecision, name: str, version: str, request_id: str, headers: Headers
    ) -> None:
        outcome = decision.outcome
        if outcome is Outcome.UNAUTHENTICATED:
            message = "Unauthenticated"
            if self._auth_debug and decision.reason:
                message = f"Unauthenticated: {decision.reason}"
            status = 401
        elif outcome is Outcome.NOT_FOUND:
            message = f"Job was not found: {decision.reason or f'{name} {version}'}"
            status = 404
        else:
            message = decision.reason or "Racetrack is currently unavailable"
            status = 503
        await self._reject(send, status, message, request_id, headers, call=name)

    async def _reject(
        self,
        send: Send,
        status: int,
        message: str,
        request_id: str,
        headers: Headers,
        *,
        auth: bool = True,
        call: str | None = None,
    ) -> None:
        """Answer a call refused before forwarding, in the upstream shape."""
        self.metrics.request_errors.inc()
        if auth:
            self.metrics.auth_failed.inc()
        level = "WARNING" if status < 500 else "ERROR"
        logger.log(
            level, "Proxy request error", error=message, status=status, jobName=call, requestId=request_id
        )
        body = {"error": f"Proxy request error: {message}", "requestId": request_id}
        if status == 503:
            body["error"] = message
        await send_json(send, status, body, headers)


class _ClientGone(Exception):
    pass


class _NoLongerAllowed(Exception):
    """Lifecycle, asked again after the cached replicas refused, no longer allows the call."""

    def __init__(self, decision: AccessDecision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


async def _close_on_disconnect(
    receive: Receive, response: aiohttp.ClientResponse | UpstreamResponse, state: _BodyState
) -> None:
    """Close the job's response when the client disconnects."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            state.client_gone = True
            response.close()
            return


def _classify(error: BaseException, metrics: PubMetrics) -> tuple[int, str]:
    """The status and the cause of a failed forward, counting it in its metric."""
    if isinstance(error, UpstreamError):
        if isinstance(error, UpstreamConnectTimeout):
            metrics.connection_refused.inc()
            return 502, "connection to a target job timed out (job may be dead)"
        if isinstance(error, UpstreamTimeout):
            metrics.context_deadline.inc()
            return 504, "request to a job timed out"
        if isinstance(error, UpstreamConnectError):
            metrics.connection_refused.inc()
            return 502, "connection refused to a target job (job may be dead)"
        if isinstance(error, UpstreamBroken):
            metrics.connection_broken.inc()
            return 502, "connection broken to a target job (job may have died)"
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        metrics.connection_refused.inc()
        return 502, "connection to a target job timed out (job may be dead)"
    if isinstance(error, (aiohttp.SocketTimeoutError, TimeoutError)):
        metrics.context_deadline.inc()
        return 504, "request to a job timed out"
    if isinstance(error, aiohttp.ClientConnectorError):
        metrics.connection_refused.inc()
        return 502, "connection refused to a target job (job may be dead)"
    if isinstance(
        error, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError)
    ):
        metrics.connection_broken.inc()
        return 502, "connection broken to a target job (job may have died)"
    if isinstance(error, aiohttp.ClientConnectionError):
        metrics.connection_broken.inc()
        return 502, "connection broken to a target job (job may have died)"
    return 502, f"forwarding to the job failed: {_describe(error)}"


def _relative_location(value: bytes, replicas: tuple[str, ...]) -> bytes:
    """``http://<replica>/x?y`` → ``/x?y``; any other Location is left alone."""
    if b"//" not in value:
        return value
    text = value.decode("latin-1")
    for prefix in ("http://", "https://", "//"):
        if text.startswith(prefix):
            rest = text[len(prefix) :]
            authority, slash, tail = rest.partition("/")
            if authority in replicas:
                return (slash + tail or "/").encode("latin-1")
            break
    return value


def _describe(error: BaseException | None) -> str:
    if error is None:
        return ""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
