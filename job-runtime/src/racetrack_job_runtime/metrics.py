"""Prometheus metrics of a job, with a small hand-written text exposition (format 0.0.4).

Counters are plain numbers updated on the event loop thread only, so no locks are needed.
Names follow prometheus_client: counters get ``_total``, histograms ``_bucket/_sum/_count``.
The class's own ``metrics()`` items are exported as gauges after the built-in ones.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import re
import sys
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger("racetrack_job_runtime")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0,
    2.5, 5.0, 7.5, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0,
)  # fmt: skip
_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def format_value(value: float) -> str:
    """A sample value as prometheus_client writes it (``1.0``, ``+Inf``, ``NaN``)."""
    if value == math.inf:
        return "+Inf"
    if value == -math.inf:
        return "-Inf"
    if value != value:
        return "NaN"
    return repr(float(value))


def _escape_label(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    text = ",".join(f'{name}="{_escape_label(value)}"' for name, value in pairs)
    return "{" + text + "}" if text else ""


class Histogram:
    """Bucket counts (not cumulative until rendered), sum and count."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(BUCKETS, value)] += 1
        self.sum += value

    def render(self, out: list[str], name: str, labels: list[tuple[str, str]]) -> None:
        cumulative = 0
        for bound, count in zip(BUCKETS, self.counts, strict=False):
            cumulative += count
            out.append(f"{name}_bucket{_labels([*labels, ('le', format_value(bound))])} {cumulative}.0")
        cumulative += self.counts[-1]
        out.append(f"{name}_bucket{_labels([*labels, ('le', '+Inf')])} {cumulative}.0")
        out.append(f"{name}_count{_labels(labels)} {cumulative}.0")
        out.append(f"{name}_sum{_labels(labels)} {format_value(self.sum)}")


class EndpointMetrics:
    """Per-endpoint series: call duration, calls started and failed calls."""

    __slots__ = ("endpoint", "duration", "started", "errors")

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.duration = Histogram()
        self.started = 0
        self.errors = 0


class JobMetrics:
    """All built-in metrics of one job process."""

    def __init__(self) -> None:
        self.endpoints: dict[str, EndpointMetrics] = {}
        self.requests_started = 0
        self.requests_done = 0
        self.last_call_timestamp = 0.0
        self.commons_duration = Histogram()
        self.commons_started = 0
        self.commons_done = 0
        self.commons_internal_server_errors = 0

    def endpoint(self, path: str) -> EndpointMetrics:
        metrics = self.endpoints.get(path)
        if metrics is None:
            metrics = self.endpoints[path] = EndpointMetrics(path)
        return metrics

    def builtin_names(self) -> set[str]:
        names = {
            "request_duration",
            "request_internal_errors",
            "requests_started",
            "requests_done",
            "endpoint_requests_started",
            "last_call_timestamp",
            "commons_request_duration",
            "commons_requests_started",
            "commons_requests_done",
            "commons_internal_server_errors",
        }
        names.update(_process_metric_names)
        return names

    def render(self, custom: list[Any] | None = None) -> str:
        out: list[str] = []
        endpoints = sorted(self.endpoints.values(), key=lambda m: m.endpoint)

        def family(name: str, kind: str, help_text: str) -> None:
            _family(out, name, kind, help_text)

        family("request_duration", "histogram", "Duration of perform and auxiliary endpoint calls in seconds")
        for m in endpoints:
            m.duration.render(out, "request_duration", [("endpoint", m.endpoint)])
        family("request_internal_errors_total", "counter", "Failed calls of perform and auxiliary endpoints")
        for m in endpoints:
            out.append(f"request_internal_errors_total{_labels([('endpoint', m.endpoint)])} {m.errors}.0")
        family("requests_started_total", "counter", "Calls of perform and auxiliary endpoints started")
        out.append(f"requests_started_total {self.requests_started}.0")
        family("requests_done_total", "counter", "Calls of perform and auxiliary endpoints finished")
        out.append(f"requests_done_total {self.requests_done}.0")
        family("endpoint_requests_started_total", "counter", "Calls started per endpoint")
        for m in endpoints:
            out.append(f"endpoint_requests_started_total{_labels([('endpoint', m.endpoint)])} {m.started}.0")
        family("last_call_timestamp", "gauge", "Unix time in seconds of the last perform or auxiliary call")
        out.append(f"last_call_timestamp {format_value(self.last_call_timestamp)}")
        family("commons_request_duration", "histogram", "Duration of every HTTP request in seconds")
        self.commons_duration.render(out, "commons_request_duration", [])
        family("commons_requests_started_total", "counter", "HTTP requests started")
        out.append(f"commons_requests_started_total {self.commons_started}.0")
        family("commons_requests_done_total", "counter", "HTTP requests finished")
        out.append(f"commons_requests_done_total {self.commons_done}.0")
        family(
            "commons_internal_server_errors_total", "counter", "HTTP 500 responses produced by the runtime"
        )
        out.append(f"commons_internal_server_errors_total {self.commons_internal_server_errors}.0")
        _render_process(out)
        if custom:
            _render_custom(out, custom, self.builtin_names())
        out.append("")
        return "\n".join(out)


_process_metric_names = (
    "process_virtual_memory_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_cpu_seconds_total",
    "process_open_fds",
    "process_max_fds",
    "python_info",
    "python_gc_objects_collected",
    "python_gc_collections",
)
_boot_time: float | None = None


def _read_boot_time() -> float:
    global _boot_time
    if _boot_time is None:
        with open("/proc/stat", "rb") as file:
            for line in file:
                if line.startswith(b"btime "):
                    _boot_time = float(line.split()[1])
                    break
            else:
                _boot_time = 0.0
    return _boot_time


def _family(out: list[str], name: str, kind: str, help_text: str) -> None:
    out.append(f"# HELP {name} {_escape_help(help_text)}")
    out.append(f"# TYPE {name} {kind}")


def _render_process(out: list[str]) -> None:
    """Process and interpreter metrics, named as prometheus_client's default collectors."""

    def family(name: str, kind: str, help_text: str) -> None:
        _family(out, name, kind, help_text)

    try:
        with open("/proc/self/stat", "rb") as file:
            fields = file.read().split(b")")[-1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        page_size = os.sysconf("SC_PAGE_SIZE")
        family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
        out.append(f"process_virtual_memory_bytes {float(fields[20])}")
        family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
        out.append(f"process_resident_memory_bytes {float(int(fields[21]) * page_size)}")
        family(
            "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds."
        )
        out.append(f"process_start_time_seconds {float(fields[19]) / ticks + _read_boot_time()}")
        family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
        out.append(f"process_cpu_seconds_total {(float(fields[11]) + float(fields[12])) / ticks}")
        family("process_open_fds", "gauge", "Number of open file descriptors.")
        out.append(f"process_open_fds {float(len(os.listdir('/proc/self/fd')))}")
        with open("/proc/self/limits", "rb") as file:
            for line in file:
                if line.startswith(b"Max open files"):
                    family("process_max_fds", "gauge", "Maximum number of open file descriptors.")
                    out.append(f"process_max_fds {float(line.split()[3])}")
    except (OSError, ValueError, IndexError):
        pass  # not Linux: process metrics are skipped
    family("python_info", "gauge", "Python platform information")
    major, minor, micro = sys.version_info[:3]
    labels = [
        ("implementation", sys.implementation.name.replace("cpython", "CPython")),
        ("major", str(major)),
        ("minor", str(minor)),
        ("patchlevel", str(micro)),
        ("version", f"{major}.{minor}.{micro}"),
    ]
    out.append(f"python_info{_labels(labels)} 1.0")
    stats = gc.get_stats()
    family("python_gc_objects_collected_total", "counter", "Objects collected during gc")
    for generation, stat in enumerate(stats):
        out.append(
            f'python_gc_objects_collected_total{{generation="{generation}"}} {float(stat["collected"])}'
        )
    family("python_gc_collections_total", "counter", "Number of times this generation was collected")
    for generation, stat in enumerate(stats):
        out.append(f'python_gc_collections_total{{generation="{generation}"}} {float(stat["collections"])}')


def _render_custom(out: list[str], items: list[Any], reserved: set[str]) -> None:
    """Export the entrypoint's ``metrics()`` items as gauges, skipping invalid ones with a log."""
    families: dict[str, tuple[str, list[str]]] = {}
    for item in items:
        if not isinstance(item, dict):
            logger.error("custom metric skipped: expected a dict, got %s", type(item).__name__)
            continue
        name, value = item.get("name"), item.get("value")
        if name is None or "value" not in item:
            logger.error("custom metric skipped: 'name' and 'value' are required", extra={"metric": item})
            continue
        if value is None:
            continue  # Prometheus has no null
        if not isinstance(name, str) or not _NAME_RE.match(name):
            logger.error("custom metric skipped: invalid metric name %r", name)
            continue
        if name in reserved:
            logger.error("custom metric skipped: %r is the name of a built-in metric", name)
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                logger.error("custom metric %s skipped: value %r is not a number", name, value)
                continue
        labels = item.get("labels") or {}
        if not isinstance(labels, dict) or not all(isinstance(k, str) and _LABEL_RE.match(k) for k in labels):
            logger.error("custom metric %s skipped: labels must map label names to strings", name)
            continue
        description = str(item.get("description") or name)
        samples = families.setdefault(name, (description, []))[1]
        pairs = [(key, str(labels[key])) for key in sorted(labels)]
        samples.append(f"{name}{_labels(pairs)} {format_value(float(value))}")
    for name, (description, samples) in families.items():
        _family(out, name, "gauge", description)
        out.extend(samples)
