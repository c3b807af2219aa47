"""PUB's Prometheus metrics (names as upstream: Grafana dashboards rely on them).

Each app owns a :class:`~prometheus_client.CollectorRegistry`, so several apps can live in one
process. Labelled children are looked up once per resolved job and kept, which keeps the hot
path to a few ``inc()`` calls. Labels carry the resolved exact version, never an alias.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

RESPONSE_TIME_BUCKETS = tuple(0.001 * 2**i for i in range(21))
"""1 ms doubling 21 times: the last bucket is ~17.5 minutes."""

_JOB_LABELS = ("job_name", "job_version")


@dataclass(slots=True)
class JobMetrics:
    """The labelled children of one resolved job (name, exact version)."""

    proxy_requests: Counter
    started: Counter
    done: Counter
    response_time: Counter
    response_time_histogram: Histogram
    codes: dict[int, Counter]
    codes_family: Counter
    name: str
    version: str

    def response_code(self, status: int) -> Counter:
        child = self.codes.get(status)
        if child is None:
            child = self.codes[status] = self.codes_family.labels(self.name, self.version, str(status))
        return child


class LastCalls(Collector):
    """When each resolved job was last called through this PUB (epoch seconds), in memory.

    Exported as ``pub_job_last_call_timestamp{job_name,job_version}`` and as JSON at
    ``/last-calls``; recording is one dict assignment per call.
    """

    def __init__(self) -> None:
        self.times: dict[tuple[str, str], float] = {}

    def record(self, name: str, version: str) -> None:
        self.times[(name, version)] = time.time()

    def as_list(self) -> list[dict[str, str | float]]:
        return [
            {"job_name": name, "job_version": version, "last_call_timestamp": ts}
            for (name, version), ts in sorted(self.times.items())
        ]

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "pub_job_last_call_timestamp",
            "Unix time of the last call of a job through this PUB replica",
            labels=list(_JOB_LABELS),
        )
        for (name, version), ts in list(self.times.items()):
            family.add_metric([name, version], ts)
        yield family


class PubMetrics:
    """Every metric PUB exports, registered in a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        if registry is None:
            ProcessCollector(registry=r)  # CPU, memory and start time of the process
        self._proxy_requests = Counter(
            "pub_job_proxy_requests", "Authorised incoming job calls", _JOB_LABELS, registry=r
        )
        self._started = Counter(
            "pub_job_proxy_requests_started", "Forwarded job calls started", _JOB_LABELS, registry=r
        )
        self._done = Counter(
            "pub_job_proxy_requests_done", "Forwarded job calls finished", _JOB_LABELS, registry=r
        )
        self._codes = Counter(
            "pub_job_proxy_response_codes",
            "Job call responses by HTTP status",
            (*_JOB_LABELS, "status_code"),
            registry=r,
        )
        self._histogram = Histogram(
            "pub_job_call_response_time_histogram",
            "Seconds a job took to answer (whole response, streamed body included)",
            _JOB_LABELS,
            buckets=RESPONSE_TIME_BUCKETS,
            registry=r,
        )
        self._response_time = Counter(
            "pub_job_call_response_time", "Seconds spent waiting for jobs", _JOB_LABELS, registry=r
        )
        self.overall_response_time = Counter(
            "pub_overall_job_proxy_response_time",
            "Seconds spent handling job calls, authorisation included",
            registry=r,
        )
        self.proxy_errors = Counter("pub_job_proxy_errors", "Forwarding failures (502/504)", registry=r)
        self.request_errors = Counter(
            "pub_job_proxy_request_errors",
            "Calls rejected before forwarding (bad request, auth, Lifecycle errors)",
            registry=r,
        )
        self.lifecycle_calls = Counter("pub_lifecycle_calls", "Calls to Lifecycle", registry=r)
        self.lifecycle_call_time = Counter(
            "pub_lifecycle_call_time", "Seconds spent on successful Lifecycle calls", registry=r
        )
        self.lifecycle_errors = Counter("pub_lifecycle_errors", "Lifecycle malfunctions", registry=r)
        self.auth_successful = Counter("pub_auth_successful", "Calls authorised", registry=r)
        self.auth_failed = Counter("pub_auth_failed", "Calls refused or not checkable", registry=r)
        self.health_requests = Counter("pub_health_requests", "/health requests", registry=r)
        self.connection_broken = Counter(
            "pub_job_proxy_connection_broken_errors", "Job connection broken mid-call", registry=r
        )
        self.connection_refused = Counter(
            "pub_job_proxy_connection_refused_errors",
            "Job refused or did not accept the connection",
            registry=r,
        )
        self.context_canceled = Counter(
            "pub_job_proxy_context_canceled_errors", "Client went away before the job answered", registry=r
        )
        self.context_deadline = Counter(
            "pub_job_proxy_context_deadline_errors", "Job did not answer in time", registry=r
        )
        self.panic_errors = Counter(
            "pub_panic_errors", "Unexpected failures of a request handler", registry=r
        )
        self.cache_retrieved = Counter(
            "pub_lifecycle_cache_retrieved_responses",
            "Authorisation answers served from the cache",
            registry=r,
        )
        self.cache_recovered = Counter(
            "pub_lifecycle_cache_recovered_failed_responses",
            "Stale authorisation answers used because Lifecycle failed",
            registry=r,
        )
        self.last_calls = LastCalls()
        r.register(self.last_calls)
        self._jobs: dict[tuple[str, str], JobMetrics] = {}

    def job(self, name: str, version: str) -> JobMetrics:
        """The children labelled with one resolved job, created on first use."""
        key = (name, version)
        job = self._jobs.get(key)
        if job is None:
            job = self._jobs[key] = JobMetrics(
                proxy_requests=self._proxy_requests.labels(name, version),
                started=self._started.labels(name, version),
                done=self._done.labels(name, version),
                response_time=self._response_time.labels(name, version),
                response_time_histogram=self._histogram.labels(name, version),
                codes={},
                codes_family=self._codes,
                name=name,
                version=version,
            )
        return job
