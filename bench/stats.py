"""Aggregating repeated measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from bench.load import LoadResult


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def median_load(results: Sequence[LoadResult]) -> LoadResult:
    """The per-field median of several runs at the same concurrency."""
    first = results[0]
    return LoadResult(
        connections=first.connections,
        requests=round(median([r.requests for r in results])),
        duration_s=round(median([r.duration_s for r in results]), 3),
        requests_per_s=round(median([r.requests_per_s for r in results]), 1),
        p50_ms=round(median([r.p50_ms for r in results]), 3),
        p90_ms=round(median([r.p90_ms for r in results]), 3),
        p99_ms=round(median([r.p99_ms for r in results]), 3),
        mean_ms=round(median([r.mean_ms for r in results]), 3),
        max_ms=round(median([r.max_ms for r in results]), 3),
        errors=sum(r.errors for r in results),
    )
