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
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from http import HTTPStatus
from types import ModuleType
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


def load_httpx() -> None:
    """Import httpx without its optional command-line tool.

    ``httpx/__init__`` imports ``httpx._main`` when click and rich are installed (they are, for
    this CLI), pulling in rich.progress and pygments: about 0.3 s of start-up for nothing. A
    ``None`` entry in ``sys.modules`` makes that import fail, so httpx falls back to its stub;
    the entry is removed again right after.
    """
    if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]
        try:
            import httpx  # noqa: F401 - imported for its side effect on sys.modules
        finally:
            if sys.modules.get("httpx._main", ModuleType("sentinel")) is None:
                del sys.modules["httpx._main"]


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
        debug: Callable[[str], None] | None = None,
    ) -> None:
        self.target = target
        self.token = token or None
        self.insecure = insecure
        self.context = context
        self.timeout = timeout
        self.debug = debug
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            load_httpx()
            import httpx

            self._client = httpx.Client(
                verify=not self.insecure,
                timeout=httpx.Timeout(self.timeout, connect=CONNECT_TIMEOUT),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json, */*"},
                follow_redirects=False,  # a redirect to another host would carry the token along
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
        content: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        auth: bool = True,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send a request (a JSON body, or raw ``content`` as octets); transport failures raise
        :class:`ConnectionFailedError`."""
        load_httpx()
        import httpx

        headers = self.headers(auth)
        if json_body is not None:
            content = json.dumps(json_body).encode("utf-8")
            headers["Content-Type"] = JSON_CONTENT_TYPE
        elif content is not None:
            headers["Content-Type"] = "application/octet-stream"
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        started = time.monotonic()
        try:
            response = self._http().request(
                method, url, content=content, params=params, headers=headers, **extra
            )
        except httpx.HTTPError as e:
            raise self.transport_error(e, method, url) from e
        if self.debug is not None:
            elapsed = (time.monotonic() - started) * 1000
            self.debug(f"{method} {response.request.url} -> {response.status_code} ({elapsed:.0f} ms)")
        return response

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
        load_httpx()
        import httpx

        timeout = httpx.Timeout(CONNECT_TIMEOUT, read=None)
        try:
            with self._http().stream(
                "GET", url, params=params, headers=self.headers(auth), timeout=timeout
            ) as r:
                if r.status_code >= 300:
                    r.read()
                    self.raise_for_status(r)
                yield from r.iter_lines()
        except httpx.HTTPError as e:
            raise self.transport_error(e, "GET", url) from e

    def raise_for_status(self, response: httpx.Response) -> None:
        """Raise :class:`ResponseError` (``<context>: <reason>: <server message> ...``) on 3xx-5xx.

        Redirects are not followed (the auth header would go along), so they are errors too.
        """
        if response.status_code < 300:
            return
        request = response.request
        method, url = request.method, str(request.url)
        reason = response.reason_phrase or _reason(response.status_code)
        if response.status_code < 400:
            location = response.headers.get("location", "nowhere")
            raise ResponseError(
                f"{self.context}: {reason}: redirected to {location}; check the remote URL "
                f"({method} {url} returned {response.status_code})",
                http_status=response.status_code,
            )
        server_message = error_message(response)
        text = f"{self.context}: {reason}"
        if server_message:
            text += f": {server_message}"
        text += f" ({method} {url} returned {response.status_code})"
        if response.status_code == 401 and self.login_hint:
            text += f". {self.login_hint}"
        raise ResponseError(text, http_status=response.status_code, server_message=server_message)

    @property
    def login_hint(self) -> str | None:
        """What to suggest when the server refuses the credentials."""
        return None

    def transport_error(self, error: Exception, method: str, url: str) -> ConnectionFailedError:
        load_httpx()
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

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        insecure: bool = False,
        debug: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(target=f"Racetrack at {base_url}", token=token, insecure=insecure, debug=debug)
        self.base_url = base_url.rstrip("/")

    @property
    def login_hint(self) -> str | None:
        return f"Log in again with: racetrack login <token> --remote {self.base_url}"

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
