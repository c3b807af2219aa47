"""Racetrack python3 job runtime: serves an entrypoint class as a job.

Public surface for job code: :func:`call_job` and :func:`call_job_async` (chain calls to other
jobs through the gateway), and :data:`request_context`. The chain-call client is imported on
first use, so jobs that never call other jobs don't pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from racetrack_job_runtime.request import request_context

if TYPE_CHECKING:
    from racetrack_job_runtime.chain import call_job, call_job_async

__version__ = "1.0.0"
__all__ = ["__version__", "call_job", "call_job_async", "request_context"]


def __getattr__(name: str) -> Any:
    if name in ("call_job", "call_job_async"):
        from racetrack_job_runtime import chain

        return getattr(chain, name)
    raise AttributeError(f"module 'racetrack_job_runtime' has no attribute {name!r}")
