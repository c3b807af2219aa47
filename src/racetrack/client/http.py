"""The HTTP client of Lifecycle (and of PUB, for ``racetrack call``), on httpx.

Every request carries ``User-Agent: racetrack-client/<version>``, ``Accept: application/json,
*/*`` and, when a token is known, ``X-Racetrack-Auth``. TLS certificates are verified unless
``--insecure`` / ``RACETRACK_INSECURE=1``. Failures become one-line :mod:`racetrack.client.errors`:

    Lifecycle response error: Conflict: job adder v0.0.1 is already deployed (POST <url> returned 409)
    cannot reach Racetrack at <url>: connection refused. Is it running? (start it with: racetrack up)

httpx is imported when the first client is created, never at CLI start-up.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from racetrack import __version__
from racetrack.client.errors import ConnectionFailedError, ResponseError

if TYPE_CHECKING:
    import httpx

AUTH_HEADER = "X-Racetrack-Auth"
USER_AGENT = f"racetrack-client/{__version__}"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0


class HttpClient:
    """A small synchronous client turning transport and status failures into one-line errors.

    Args:
        target: how error messages name the server, e.g. ``Racetrack at http://host/lifecycle``.
        token: sent as ``X-Racetrack-Auth`` when not empty.
        insecure: skip TLS certificate verification.
        context: prefix of error-status messages, e.g. ``Lifecycle response error``.
    """

    def __init__(
        self,
        *,
        target: str,
        token: str | None = None,
        insecure: bool = False,
        context: str = "Lifecycle response error",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.target = target
        self.token = token or None
        self.insecure = insecure
        self.context = context
        self.timeout = timeout
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                verify=not self.insecure,
                timeout=httpx.Timeout(self.timeout, connect=CONNECT_TIMEOUT),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json, */*"},
                follow_redirects=True,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def headers(self, auth: bool = True) -> dict[str, str]:
        return {AUTH_HEADER: self.token} if (auth and self.token) else {}

    def send(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str | int] | None = None,
        auth: bool = True,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send a request; transport failures raise :class:`ConnectionFailedError`."""
        import httpx

        headers = self.headers(auth)
        content: bytes | None = None
        if json_body is not None:
            content = json.dumps(json_body).encode("utf-8")
            headers["Content-Type"] = JSON_CONTENT_TYPE
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            return self._http().request(method, url, content=content, params=params, headers=headers, **extra)
        except httpx.HTTPError as e:
            raise self.transport_error(e, method, url) from e

    def request_json(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str | int] | None = None,
        auth: bool = True,
    ) -> Any:
        """Send a request and return the decoded JSON answer (``None`` for an empty one)."""
        response = self.send(method, url, json_body=json_body, params=params, auth=auth)
        self.raise_for_status(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as e:
            raise ResponseError(
                f"{self.context}: expected a JSON answer, "
                f"got {response.headers.get('content-type', 'nothing')} ({method} {url})",
                http_status=response.status_code,
            ) from e

    def stream_lines(
        self, url: str, *, params: Mapping[str, str | int] | None = None, auth: bool = True
    ) -> Iterator[str]:
        """GET a text stream and yield its lines as they arrive (no read timeout)."""
        import httpx

        timeout = httpx.Timeout(CONNECT_TIMEOUT, read=None)
        try:
            with self._http().stream(
                "GET", url, params=params, headers=self.headers(auth), timeout=timeout
            ) as r:
                if r.is_error:
                    r.read()
                    self.raise_for_status(r)
                yield from r.iter_lines()
        except httpx.HTTPError as e:
            raise self.transport_error(e, "GET", url) from e

    def raise_for_status(self, response: httpx.Response) -> None:
        """Raise :class:`ResponseError` (``<context>: <reason>: <server message> ...``) on 4xx/5xx."""
        if response.status_code < 400:
            return
        request = response.request
        method, url = request.method, str(request.url)
        server_message = error_message(response)
        reason = response.reason_phrase or _reason(response.status_code)
        text = f"{self.context}: {reason}"
        if server_message:
            text += f": {server_message}"
        text += f" ({method} {url} returned {response.status_code})"
        raise ResponseError(text, http_status=response.status_code, server_message=server_message)

    def transport_error(self, error: Exception, method: str, url: str) -> ConnectionFailedError:
        import httpx

        if isinstance(error, httpx.TimeoutException):
            return ConnectionFailedError(f"request to {self.target} timed out ({method} {url})")
        if isinstance(error, httpx.ConnectError):
            if _caused_by(error, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(error):
                return ConnectionFailedError(
                    f"cannot reach {self.target}: TLS certificate verification failed ({_root(error)}). "
                    "Fix the certificate or use --insecure (RACETRACK_INSECURE=1) to skip verification"
                )
            if _caused_by(error, ConnectionRefusedError) or "refused" in str(error).lower():
                return ConnectionFailedError(
                    f"cannot reach {self.target}: connection refused. "
                    "Is it running? (start it with: racetrack up)"
                )
            return ConnectionFailedError(f"cannot reach {self.target}: {_root(error)}")
        return ConnectionFailedError(f"request failed: {method} {url}: {_root(error)}")


class LifecycleClient(HttpClient):
    """HttpClient bound to one Lifecycle URL: paths are relative to ``<url>/api/v1``."""

    def __init__(self, base_url: str, *, token: str | None = None, insecure: bool = False) -> None:
        super().__init__(target=f"Racetrack at {base_url}", token=token, insecure=insecure)
        self.base_url = base_url.rstrip("/")

    def api_url(self, path: str) -> str:
        return f"{self.base_url}/api/v1/{path.lstrip('/')}"

    def get(self, path: str, *, params: Mapping[str, str | int] | None = None, auth: bool = True) -> Any:
        return self.request_json("GET", self.api_url(path), params=params, auth=auth)

    def post(self, path: str, body: Any = None, *, auth: bool = True) -> Any:
        return self.request_json("POST", self.api_url(path), json_body=body, auth=auth)

    def delete(self, path: str) -> Any:
        return self.request_json("DELETE", self.api_url(path))


def error_message(response: httpx.Response) -> str | None:
    """The server's ``{"error": ...}`` message, or a short excerpt of a non-JSON body."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text.splitlines()[0][:300] if text else None
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if body.get(key):
                value = body[key]
                return value if isinstance(value, str) else json.dumps(value)
    return None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _root(error: BaseException) -> str:
    seen = error
    while (seen.__cause__ or seen.__context__) is not None:
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    return str(seen) or type(seen).__name__
