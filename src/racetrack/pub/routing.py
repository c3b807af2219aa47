"""Turning a request path into (job name, version as typed, job path), without a router.

PUB serves every route twice, at the raw path (``/job/adder/latest/api/v1/perform``) and under
``/<service_name>`` (``/pub/job/...``). The first segment picks the handler; for job calls the
next two segments are the job name and the version exactly as the caller typed them (``latest``,
``1.x``, ``0.0.2``), and the rest is the job path, kept percent-encoded as received.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

HEALTH_PATHS = frozenset({"/health", "/live", "/ready"})
"""Job paths every caller may reach without a token (Lifecycle allows them unconditionally)."""

JOB_ROUTE_KINDS = frozenset({"job", "fatman"})
"""First path segments of a job call; ``fatman`` is the pre-2.9 spelling kept for old callers."""

_SAFE_PATH_CHARS = "/%:@!$&'()*+,;=-._~"


class InvalidJobPathError(ValueError):
    """The path names no job, or tries to leave the job's own URL space."""


@dataclass(frozen=True, slots=True)
class JobCall:
    """The parts of a job call URL, as the caller sent them."""

    name: str
    version: str  # as typed: exact, "latest" or a wildcard such as "1.x"
    path: str  # the job path, percent-encoded, "" or starting with "/"

    @property
    def endpoint(self) -> str:
        """The job path normalised as Lifecycle checks it: a leading ``/``, no trailing one."""
        return normalise_endpoint(self.path)


def split_route(path: str, service_name: str) -> tuple[str, str]:
    """Split a request path into its first segment (the route kind) and the remainder.

    ``/pub/job/a/1/x`` and ``/job/a/1/x`` both give ``("job", "/a/1/x")``; ``/pub/metrics`` gives
    ``("metrics", "")``. A path outside PUB's routes gives its first segment anyway and the
    caller answers 404.
    """
    if path.startswith("/" + service_name):
        rest = path[len(service_name) + 1 :]
        if not rest or rest[0] == "/":
            path = rest or "/"
    end = path.find("/", 1)
    if end == -1:
        return path[1:], ""
    return path[1:end], path[end:]


def parse_job_call(remainder: str) -> JobCall:
    """Parse ``/NAME/VERSION[/PATH]`` (what follows ``/job``) into a :class:`JobCall`.

    Raises:
        InvalidJobPathError: the name or the version is missing, or the job path contains
            ``.``/``..`` segments (which could climb out of the job's URL space).
    """
    name_end = remainder.find("/", 1)
    if name_end <= 1:
        raise InvalidJobPathError("Couldn't extract job name")
    version_end = remainder.find("/", name_end + 1)
    if version_end == -1:
        version_end = len(remainder)
    if version_end == name_end + 1:
        raise InvalidJobPathError("Couldn't extract job version")
    job_path = remainder[version_end:]
    if job_path.startswith("//"):
        job_path = "/" + job_path.lstrip("/")
    if "/." in job_path or "%2" in job_path:
        _reject_dot_segments(job_path)
    return JobCall(remainder[1:name_end], remainder[name_end + 1 : version_end], job_path)


def _reject_dot_segments(job_path: str) -> None:
    for segment in job_path.split("/"):
        if segment in (".", "..") or unquote(segment) in (".", ".."):
            raise InvalidJobPathError(f"Job path must not contain '.' or '..' segments: {job_path}")


def normalise_endpoint(job_path: str) -> str:
    """A job path as a permission endpoint: leading ``/`` added, one trailing ``/`` dropped."""
    if not job_path.startswith("/"):
        job_path = "/" + job_path
    if len(job_path) > 1 and job_path.endswith("/"):
        job_path = job_path[:-1]
    return job_path


def request_path(scope_path: str, raw_path: bytes | None, root_path: str) -> str:
    """The request path to route on, still percent-encoded when the server gives the raw form.

    A mounting parent may leave its prefix in ``root_path``; it is removed here so the same
    app works alone and mounted.
    """
    if raw_path is not None:
        path = raw_path.decode("latin-1") if raw_path.isascii() else quote(raw_path, safe=_SAFE_PATH_CHARS)
    else:
        path = quote(scope_path, safe=_SAFE_PATH_CHARS)
    if root_path and path.startswith(root_path):
        stripped = path[len(root_path) :]
        if not stripped or stripped[0] == "/":
            path = stripped or "/"
    return path
