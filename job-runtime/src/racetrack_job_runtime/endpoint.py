"""A method served at ``POST /api/v1/<path>`` (perform or an auxiliary endpoint).

Binding errors are told apart from errors raised by user code: the payload's keys are checked
against the signature before the call, and a ``TypeError`` raised by the call itself (before
any frame of the user's function runs) is also a binding error. Both answer 400; a
``TypeError`` from inside user code answers 500.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from time import perf_counter
from typing import Any

from racetrack_job_runtime.conversion import to_json_bytes, to_jsonable
from racetrack_job_runtime.errors import ArgumentError, ResultError
from racetrack_job_runtime.metrics import EndpointMetrics
from racetrack_job_runtime.request import Request, request_context

# calls faster than the threshold this many times in a row are promoted to run on the loop
PROMOTE_AFTER = 20
# an endpoint demoted this many times (a slow call while inline) stays on worker threads
MAX_DEMOTIONS = 3
_KEYWORD_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def annotation_name(annotation: Any) -> str | None:
    """``float``, ``list[float]``, ``List[float]``; ``None`` when not annotated."""
    if annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("s" if count != 1 else "")


def _quoted_names(names: list[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


class Endpoint:
    """One callable with its metrics, signature facts and dispatch statistics."""

    __slots__ = (
        "path",
        "func",
        "name",
        "summary",
        "example",
        "metrics",
        "signature",
        "inline",
        "inline_threshold",
        "_required",
        "_accepted",
        "_fast_calls",
        "_demotions",
    )

    def __init__(
        self,
        path: str,
        func: Callable[..., Any],
        summary: str,
        metrics: EndpointMetrics,
        example: dict[str, Any] | None = None,
        inline_threshold: float = 0.0,
    ) -> None:
        self.path = path
        self.func = func
        self.name = getattr(func, "__name__", path.strip("/"))
        self.summary = summary
        self.example = example
        self.metrics = metrics
        self.inline = False
        self.inline_threshold = inline_threshold
        self._fast_calls = 0
        self._demotions = 0
        self._required: frozenset[str] | None = None
        self._accepted: frozenset[str] | None = None
        try:
            self.signature: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):
            self.signature = None
        if self.signature is not None:
            params = self.signature.parameters.values()
            self._required = frozenset(
                p.name for p in params if p.kind in _KEYWORD_KINDS and p.default is inspect.Parameter.empty
            )
            if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
                self._accepted = frozenset(p.name for p in params if p.kind in _KEYWORD_KINDS)

    @property
    def description(self) -> str:
        return inspect.getdoc(self.func) or ""

    def argument_error(self, kwargs: dict[str, Any]) -> str | None:
        """Why ``kwargs`` cannot be bound to the signature, or ``None`` if they can."""
        keys = kwargs.keys()
        if self._required is not None:
            missing = self._required - keys
            if missing:
                names = sorted(missing)
                count = _plural(len(names), "required argument")
                return f"{self.name}() missing {count}: {_quoted_names(names)}"
        if self._accepted is not None:
            unexpected = keys - self._accepted
            if unexpected:
                names = sorted(unexpected)
                word = "an unexpected keyword argument" if len(names) == 1 else "unexpected keyword arguments"
                return f"{self.name}() got {word} {_quoted_names(names)}"
        return None

    def parameters(self) -> list[dict[str, Any]]:
        """Required parameters first (name, type), then optional ones (name, default_value, type)."""
        if self.signature is None:
            return []
        required: list[dict[str, Any]] = []
        optional: list[dict[str, Any]] = []
        for param in self.signature.parameters.values():
            if param.kind not in _KEYWORD_KINDS:
                continue
            type_name = annotation_name(param.annotation)
            if param.default is inspect.Parameter.empty:
                required.append({"name": param.name, "type": type_name})
            else:
                try:
                    default = to_jsonable(param.default)
                except (TypeError, ValueError):
                    default = repr(param.default)
                optional.append({"name": param.name, "default_value": default, "type": type_name})
        return required + optional

    def record_duration(self, seconds: float) -> None:
        """Promote a consistently cheap endpoint to run inline; demote it after a slow call."""
        threshold = self.inline_threshold
        if threshold <= 0:
            return
        if seconds <= threshold:
            if not self.inline and self._demotions < MAX_DEMOTIONS:
                self._fast_calls += 1
                if self._fast_calls >= PROMOTE_AFTER:
                    self.inline = True
        else:
            self._fast_calls = 0
            if self.inline:
                self.inline = False
                self._demotions += 1


def invoke(func: Callable[..., Any], kwargs: dict[str, Any], request: Request) -> tuple[bytes, float]:
    """Call ``func(**kwargs)`` with ``request`` as the request context; JSON bytes and duration."""
    token = request_context.set(request)
    started = perf_counter()
    try:
        try:
            result = func(**kwargs)
        except TypeError as e:
            tb = e.__traceback__
            if tb is not None and tb.tb_next is None:  # raised by the call itself: a binding error
                raise ArgumentError(str(e)) from None
            raise
        elapsed = perf_counter() - started
        try:
            return to_json_bytes(result), elapsed
        except (TypeError, ValueError) as e:
            raise ResultError(f"failed to encode the result as JSON: {e}", type(e).__name__) from e
    finally:
        request_context.reset(token)


def invoke_inline(func: Callable[..., Any], kwargs: dict[str, Any], request: Request) -> tuple[bytes, float]:
    """:func:`invoke` on the event loop thread, with the running loop hidden from user code,
    so ``asyncio.run()`` inside the call works as it does in a worker thread."""
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        return invoke(func, kwargs, request)
    finally:
        asyncio._set_running_loop(loop)
