"""Lifecycle's Prometheus metrics (lifecycle-api.md §14), in a registry of its own per app."""

from __future__ import annotations

import threading
from collections import Counter as Tally
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest

from racetrack.plugins.interfaces import JobStatus

_TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}
DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 1000)


def tcp_connections_by_state() -> dict[str, int]:
    """Open TCP sockets of this process's network namespace by state (Linux; empty elsewhere)."""
    tally: Tally[str] = Tally()
    for name in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/self/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3:
                tally[_TCP_STATES.get(fields[3], fields[3])] += 1
    return dict(tally)


class LifecycleMetrics:
    """Every metric Lifecycle exports; ``render()`` produces the /metrics text."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)  # process_cpu_seconds_total, process_resident_memory_bytes, ...
        self.requested_job_deployments = Counter(
            "requested_job_deployments", "Deployment requests received", registry=r
        )
        self.deployed_job = Counter("deployed_job", "Successful job provisionings", registry=r)
        self.failed_deployments = Counter("failed_deployments", "Deployments that ended failed", registry=r)
        self.jobs_count_by_status = Gauge(
            "jobs_count_by_status", "Jobs per status, as last seen by the sync loop", ["status"], registry=r
        )
        self.event_stream_client_connected = Gauge(
            "lifecycle_event_stream_client_connected", "Event stream clients connected", registry=r
        )
        self.event_stream_client_disconnected = Gauge(
            "lifecycle_event_stream_client_disconnected", "Event stream clients disconnected", registry=r
        )
        self.active_threads = Gauge("lifecycle_active_threads_count", "Live threads", registry=r)
        self.tcp_connections = Gauge(
            "lifecycle_tcp_connections_count", "Open TCP connections by state", ["status"], registry=r
        )
        self.database_connected = Gauge(
            "lifecycle_database_connected", "Whether the last database check succeeded (0/1)", registry=r
        )
        self.metrics_scrapes = Counter("metrics_scrapes", "Scrapes of /metrics", registry=r)
        self.requests_started = Counter("commons_requests_started", "API requests started", registry=r)
        self.requests_done = Counter("commons_requests_done", "API requests done", registry=r)
        self.request_duration = Histogram(
            "commons_request_duration",
            "API request duration in seconds",
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.internal_server_errors = Counter(
            "commons_internal_server_errors", "API responses with status 500", registry=r
        )
        for status in JobStatus:
            self.jobs_count_by_status.labels(status=str(status)).set(0)

    def set_job_counts(self, counts: dict[str, int]) -> None:
        for status in JobStatus:
            self.jobs_count_by_status.labels(status=str(status)).set(counts.get(str(status), 0))

    def render(self) -> bytes:
        self.metrics_scrapes.inc()
        self.active_threads.set(threading.active_count())
        for state, count in tcp_connections_by_state().items():
            self.tcp_connections.labels(status=state).set(count)
        return generate_latest(self.registry)
