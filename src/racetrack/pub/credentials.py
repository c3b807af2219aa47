"""Where a caller's token comes from, and how PUB's credentials are kept away from jobs.

Lookup order (auth-and-permissions.md §3): the ``X-Racetrack-Auth`` header, then the legacy
headers, then a cookie of each of those names, whose value is URL-encoded. These headers and
cookies are PUB's business only: they are removed before a request is forwarded, so a job can
never harvest its callers' tokens.
"""

from __future__ import annotations

from urllib.parse import unquote

AUTH_HEADER = "X-Racetrack-Auth"

TOKEN_NAMES: tuple[bytes, ...] = (
    b"x-racetrack-auth",
    b"x-racetrack-esc-auth",
    b"x-racetrack-fatman-auth",
    b"x-racetrack-job-auth",  # short-lived 2.9.0 spelling
    b"x-racetrack-user-auth",
)
"""Header (and cookie) names carrying a caller's token, lower-case, in lookup order."""

_TOKEN_NAMES_STR = frozenset(name.decode() for name in TOKEN_NAMES)


def pick_token(found: dict[bytes, bytes], cookie_header: bytes | None) -> str | None:
    """The caller's token: first non-empty header of :data:`TOKEN_NAMES`, else the same-named cookie.

    Args:
        found: token headers of the request (lower-case name → value).
        cookie_header: the request's ``Cookie`` header(s) joined with ``; ``, if any.
    """
    if found:
        for name in TOKEN_NAMES:
            value = found.get(name)
            if value:
                return value.decode("latin-1").strip()
    if cookie_header and b"x-racetrack-" in cookie_header.lower():
        cookies = parse_cookies(cookie_header.decode("latin-1"))
        for name in TOKEN_NAMES:
            value_str = cookies.get(name.decode())
            if value_str:
                return value_str
    return None


def parse_cookies(header: str) -> dict[str, str]:
    """Cookies of a ``Cookie`` header, names lower-cased, values URL-decoded; the first of a name wins."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.partition("=")
        if not sep:
            continue
        name = name.strip().lower()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if name and name not in cookies:
            cookies[name] = unquote(value)
    return cookies


def strip_auth_cookies(header: bytes) -> bytes | None:
    """The ``Cookie`` header without PUB's auth cookies; None when nothing else is left."""
    if b"x-racetrack-" not in header.lower():
        return header
    kept = [
        part.strip()
        for part in header.split(b";")
        if part.strip() and part.partition(b"=")[0].strip().lower().decode("latin-1") not in _TOKEN_NAMES_STR
    ]
    return b"; ".join(kept) if kept else None
