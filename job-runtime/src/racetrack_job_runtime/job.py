"""Building the served job from the entrypoint instance: endpoints, static files, webview.

Everything is validated here, at start ("deploy time"), so a broken job fails its deployment
instead of its first call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from racetrack_job_runtime.conversion import to_json_bytes
from racetrack_job_runtime.endpoint import Endpoint
from racetrack_job_runtime.entrypoint import instantiate_entrypoint
from racetrack_job_runtime.errors import InitError
from racetrack_job_runtime.metrics import JobMetrics
from racetrack_job_runtime.request import request_context
from racetrack_job_runtime.settings import Settings, home_page_of, read_jobtype_extra
from racetrack_job_runtime.static import StaticFile, collect_static_files
from racetrack_job_runtime.webview import WEBVIEW_PATH, Webview

API_PREFIX = "/api/v1"
PERFORM_PATH = "/perform"
PARAMETERS_PATH = "/parameters"
MAX_EXAMPLE_BYTES = 1024 * 1024
NO_PERFORM = "entrypoint doesn't have 'perform' method implemented"


def normalize_path(path: Any) -> str:
    return "/" + str(path).strip().lstrip("/")


class Job:
    """What the runtime serves once the entrypoint is ready."""

    def __init__(
        self,
        instance: Any,
        post: dict[str, Endpoint],
        get: dict[str, bytes | StaticFile],
        perform: Endpoint | None,
        webview: Webview | None,
        home_page: str,
    ) -> None:
        self.instance = instance
        self.post = post  # full route path (/api/v1/...) → endpoint
        self.get = get  # full route path → prerendered JSON or a static file
        self.perform = perform
        self.webview = webview
        self.home_page = home_page
        self.metrics_source: Callable[[], Any] | None = getattr(instance, "metrics", None)
        if not callable(self.metrics_source):
            self.metrics_source = None

    @property
    def endpoints(self) -> list[Endpoint]:
        return sorted(self.post.values(), key=lambda e: e.path)


def _call_optional(instance: Any, method: str, *args: Any) -> Any:
    func = getattr(instance, method, None)
    if func is None:
        return None
    if not callable(func):
        raise InitError(f"entrypoint's {method} must be a method")
    try:
        return func(*args)
    except BaseException as e:
        raise InitError(f"calling entrypoint's {method}(): {e}") from e


def validate_example(example: Any, endpoint: str) -> dict[str, Any]:
    """A docs input example must be a dict encoding to at most 1 MiB of JSON."""
    where = f"input example (for {endpoint} endpoint)"
    if not isinstance(example, dict):
        raise InitError(f"invalid docs input example: {where} must be a dict, got {type(example).__name__}")
    try:
        size = len(to_json_bytes(example))
    except (TypeError, ValueError) as e:
        raise InitError(f"invalid docs input example: {where} can't be encoded to JSON: {e}") from e
    if size > MAX_EXAMPLE_BYTES:
        raise InitError(
            f"invalid docs input example: {where} encoded to JSON ({size} bytes) "
            f"exceeds maximum size ({MAX_EXAMPLE_BYTES} bytes)"
        )
    return example


def _examples(instance: Any) -> dict[str, dict[str, Any]]:
    examples: dict[str, dict[str, Any]] = {}
    single = _call_optional(instance, "docs_input_example")
    if single is not None:
        examples[PERFORM_PATH] = validate_example(single, PERFORM_PATH)
    many = _call_optional(instance, "docs_input_examples")
    if many is not None:
        if not isinstance(many, dict):
            raise InitError(
                f"invalid docs input example: docs_input_examples must return a dict, got {many!r}"
            )
        for path, example in many.items():
            path = normalize_path(path)
            examples[path] = validate_example(example, path)
    return examples


def build_job(instance: Any, settings: Settings, metrics: JobMetrics, home_page: str = "/docs") -> Job:
    """Inspect the instance (duck typing) and build every route it asks for."""
    try:
        instance.request_context = request_context
    except AttributeError:  # a class with __slots__ and no room for it
        pass
    examples = _examples(instance)
    post: dict[str, Endpoint] = {}
    threshold = settings.inline_threshold

    perform_func = getattr(instance, "perform", None)
    perform: Endpoint | None = None
    if callable(perform_func):
        perform = Endpoint(
            PERFORM_PATH,
            perform_func,
            "Call main action",
            metrics.endpoint(PERFORM_PATH),
            examples.get(PERFORM_PATH),
            threshold,
        )
        post[API_PREFIX + PERFORM_PATH] = perform

    auxiliary = _call_optional(instance, "auxiliary_endpoints") or {}
    if not isinstance(auxiliary, dict):
        raise InitError(
            f"auxiliary_endpoints must return a dict of path → method, got {type(auxiliary).__name__}"
        )
    for raw_path, func in sorted((normalize_path(p), f) for p, f in auxiliary.items()):
        if not callable(func):
            raise InitError(f"auxiliary endpoint {raw_path} must map to a method, got {func!r}")
        route = API_PREFIX + raw_path
        if raw_path in (PERFORM_PATH, PARAMETERS_PATH) or route.startswith(API_PREFIX + "/webview"):
            raise InitError(f"auxiliary endpoint {raw_path} conflicts with a built-in endpoint")
        post[route] = Endpoint(
            raw_path,
            func,
            f"Call auxiliary endpoint: {raw_path}",
            metrics.endpoint(raw_path),
            examples.get(raw_path),
            threshold,
        )

    get: dict[str, bytes | StaticFile] = {}
    if perform is not None:
        get[API_PREFIX + PARAMETERS_PATH] = json.dumps(perform.parameters()).encode()
    static = _call_optional(instance, "static_endpoints") or {}
    if not isinstance(static, dict):
        raise InitError(f"static_endpoints must return a dict of path → file, got {type(static).__name__}")
    for route, static_file in collect_static_files(static, API_PREFIX).items():
        if route in get or route.startswith(API_PREFIX + "/webview"):
            raise InitError(f"static endpoint {route} conflicts with a built-in endpoint")
        get[route] = static_file

    webview: Webview | None = None
    if callable(getattr(instance, "webview_app", None)):
        base_url = settings.base_path + WEBVIEW_PATH
        app = _call_optional(instance, "webview_app", base_url)
        if app is not None:
            webview = Webview(app, base_url, settings.max_body_bytes)

    return Job(instance, post, get, perform, webview, home_page)


def load_job(entrypoint_path: str, class_name: str | None, settings: Settings, metrics: JobMetrics) -> Job:
    """Read job.yaml, import and instantiate the entrypoint, build the job."""
    home_page = home_page_of(read_jobtype_extra("."))
    instance = instantiate_entrypoint(entrypoint_path, class_name)
    return build_job(instance, settings, metrics, home_page)
