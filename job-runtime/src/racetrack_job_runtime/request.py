"""The HTTP request as user code sees it through ``self.request_context.get()``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

from racetrack_job_runtime.types import Scope


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive view of the request headers."""

    __slots__ = ("_raw",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = raw

    def get(self, key: str, default: Any = None) -> Any:
        name = key.lower().encode("latin-1")
        for header, value in self._raw:
            if header.lower() == name:
                return value.decode("latin-1")
        return default

    def getlist(self, key: str) -> list[str]:
        name = key.lower().encode("latin-1")
        return [value.decode("latin-1") for header, value in self._raw if header.lower() == name]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return str(value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        seen: list[str] = []
        for header, _ in self._raw:
            name = header.decode("latin-1").lower()
            if name not in seen:
                seen.append(name)
        return iter(seen)

    def __len__(self) -> int:
        return len({header.lower() for header, _ in self._raw})

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class URL(str):
    """The full request URL as a string, with ``path``, ``query``, ``scheme`` and ``netloc``."""

    __slots__ = ("path", "query", "scheme", "netloc")
    path: str
    query: str
    scheme: str
    netloc: str

    def __new__(cls, scheme: str, netloc: str, path: str, query: str) -> URL:
        text = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
        url = super().__new__(cls, text)
        url.path, url.query, url.scheme, url.netloc = path, query, scheme, netloc
        return url


class Request:
    """One HTTP request; built only for calls that run user code."""

    __slots__ = ("scope", "tracing_id", "caller_name", "_headers")

    def __init__(self, scope: Scope, tracing_id: str | None = None, caller_name: str | None = None) -> None:
        self.scope = scope
        self.tracing_id = tracing_id
        self.caller_name = caller_name
        self._headers: Headers | None = None

    @property
    def method(self) -> str:
        return str(self.scope["method"])

    @property
    def path(self) -> str:
        return str(self.scope["path"])

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            self._headers = Headers(self.scope["headers"])
        return self._headers

    @property
    def query_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.scope.get("query_string", b"").decode("latin-1")))

    @property
    def client(self) -> tuple[str, int] | None:
        client = self.scope.get("client")
        return (client[0], client[1]) if client else None

    @property
    def url(self) -> URL:
        host = self.headers.get("host")
        if host is None:
            server = self.scope.get("server") or ("localhost", 80)
            host = f"{server[0]}:{server[1]}"
        query = self.scope.get("query_string", b"").decode("latin-1")
        return URL(self.scope.get("scheme", "http"), host, self.scope.get("root_path", "") + self.path, query)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


request_context: ContextVar[Request] = ContextVar("request_context")
"""The request being served by the current call; injected into the entrypoint as ``request_context``."""
