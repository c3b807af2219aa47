"""Errors of the job runtime and the one-line summaries written to logs and ``/live``.

Hierarchy (each class knows the HTTP status it answers with)::

    JobRuntimeError (500)
    ├── InitError (500)            the entrypoint could not be loaded, built or validated
    ├── ResultError (500)          the value returned by user code is not JSON-encodable
    └── RequestError (400)         the request cannot be served as sent
        ├── ArgumentError (400)    the JSON payload does not match the method's parameters
        ├── NotFoundError (404)
        ├── MethodNotAllowedError (405)
        ├── PayloadTooLargeError (413)
        └── NotReadyError (503)    the job is still initialising or failed to initialise

Every error response has one JSON shape: ``{"error": "<message>", "type": "<type>"}``.
"""

from __future__ import annotations

import os
from typing import ClassVar


class JobRuntimeError(Exception):
    """Base class; ``status`` is the HTTP status and ``type_name`` the ``type`` field of the body."""

    status: ClassVar[int] = 500
    type_name: str = "JobRuntimeError"


class InitError(JobRuntimeError):
    """Loading, instantiating or validating the entrypoint failed."""

    type_name = "InitError"


class ResultError(JobRuntimeError):
    """The value returned by user code cannot be encoded as JSON."""

    def __init__(self, message: str, type_name: str) -> None:
        super().__init__(message)
        self.type_name = type_name


class RequestError(JobRuntimeError):
    status = 400
    type_name = "ValueError"


class ArgumentError(RequestError):
    """The payload's keys cannot be bound to the method's parameters (the caller's fault)."""


class NotFoundError(RequestError):
    status = 404
    type_name = "NotFound"


class MethodNotAllowedError(RequestError):
    status = 405
    type_name = "MethodNotAllowed"

    def __init__(self, message: str, allow: str) -> None:
        super().__init__(message)
        self.allow = allow


class PayloadTooLargeError(RequestError):
    status = 413
    type_name = "PayloadTooLarge"


class NotReadyError(RequestError):
    status = 503
    type_name = "NotReady"


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first (``__cause__``, else ``__context__``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    return chain


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of the chain."""
    return exception_chain(exc)[-1]


def _frame_location(filename: str, lineno: int | None) -> str:
    cwd = os.getcwd()
    if filename.startswith(cwd + os.sep):
        filename = filename[len(cwd) + 1 :]
    else:
        parent, name = os.path.split(filename)
        filename = os.path.join(os.path.basename(parent), name) if parent else name
    return f"{filename}:{lineno}"


def one_line_traceback(exc: BaseException) -> str:
    """Every frame of the chain as ``file:line``, root cause first, comma-separated."""
    locations: list[str] = []
    for item in reversed(exception_chain(exc)):
        tb = item.__traceback__
        while tb is not None:
            locations.append(_frame_location(tb.tb_frame.f_code.co_filename, tb.tb_lineno))
            tb = tb.tb_next
    return ", ".join(locations)


def exception_message(exc: BaseException) -> str:
    """``str(exc)``, or the class name when the exception carries no message."""
    text = str(exc)
    if isinstance(exc, KeyError) and exc.args:
        text = repr(exc.args[0])
    return text or type(exc).__name__


def summarize(exc: BaseException) -> str:
    """``"<message>, cause=<RootType>, traceback=<file:line>, ..."`` on one line."""
    message = exception_message(exc).replace("\n", " ")
    return f"{message}, cause={type(root_cause(exc)).__name__}, traceback={one_line_traceback(exc)}"


def flatten_group(exc: BaseException) -> list[BaseException]:
    """The leaf exceptions of an exception group, or ``[exc]`` for a plain exception."""
    if isinstance(exc, BaseExceptionGroup):
        leaves: list[BaseException] = []
        for member in exc.exceptions:
            leaves.extend(flatten_group(member))
        return leaves
    return [exc]
