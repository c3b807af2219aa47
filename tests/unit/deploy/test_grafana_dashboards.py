"""The provisioned Grafana dashboards (deploy/grafana) query metrics that really exist.

The expositions are built here from the real metric classes with fresh registries, so renaming
a metric without updating the dashboards fails this test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from prometheus_client import generate_latest
from racetrack_job_runtime.metrics import JobMetrics

from racetrack.dashboard.jobs_pages import GRAFANA_PATH
from racetrack.lifecycle.metrics import LifecycleMetrics
from racetrack.pub.metrics import PubMetrics

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"

# Series Prometheus itself adds to every target.
SYNTHETIC = {
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
}

PROMQL_WORDS = {
    # aggregation operators and keywords (functions are recognised by the "(" that follows them)
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "and", "or", "unless", "atan2", "inf", "nan",
}  # fmt: skip

_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_SELECTOR = re.compile(r"(?<![\w$.:])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?(\s*\()?")
_RANGE = re.compile(r"\[([^\]]*)\]")
_VARIABLE = re.compile(r"\$\{?\w+\}?")


def lifecycle_exposition() -> str:
    metrics = LifecycleMetrics()
    metrics.request_duration.observe(0.1)
    return metrics.render().decode()


def pub_exposition() -> str:
    metrics = PubMetrics()
    job = metrics.job("adder", "1.0.0")
    job.proxy_requests.inc()
    job.response_time_histogram.observe(0.1)
    job.response_code(200).inc()
    metrics.last_calls.record("adder", "1.0.0")
    return generate_latest(metrics.registry).decode()


def job_exposition() -> str:
    metrics = JobMetrics()
    metrics.endpoint("/api/v1/perform").duration.observe(0.1)
    return metrics.render()


def sample_names(exposition: str) -> set[str]:
    names = set()
    for line in exposition.splitlines():
        match = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
        if match and not line.startswith("#"):
            names.add(match.group(0))
    return names


# dashboard file -> (uid, exposition of the component it shows, Prometheus scrape job)
EXPECTED = {
    "lifecycle.json": ("VZLtJLFnz", lifecycle_exposition, "lifecycle"),
    "jobs.json": ("KZoFMs_nz", job_exposition, "racetrack-jobs"),
    "pub.json": ("Ya0SU7Lnk", pub_exposition, "pub"),
}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DASHBOARDS / name).read_text())
    return data


def datasource_uid() -> str:
    config = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    (source,) = config["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    uid: str = source["uid"]
    return uid


def expressions(dashboard: dict[str, Any]) -> list[str]:
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        exprs.append(query["query"] if isinstance(query, dict) else query)
    return exprs


def selectors(expr: str) -> list[tuple[str, str]]:
    """(metric name, label matchers) of every series selector of a PromQL expression."""
    text = _GROUPING.sub(" ", _RANGE.sub(" ", expr))
    text = re.sub(r"label_values\((.*),\s*\w+\s*\)", r"\1", text)  # Grafana's variable query
    found = []
    for match in _SELECTOR.finditer(text):
        name, matchers, call = match.groups()
        if call or name in PROMQL_WORDS:
            continue
        found.append((name, _VARIABLE.sub("", matchers or "")))
    return found


def test_selector_extraction() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, job_name) (rate(x_bucket{job="a", job_name="$job_name"}'
        "[$__rate_interval]))) / on (le) group_left sum(y_total offset 1h) * 1e3 - time()"
    )
    assert selectors(expr) == [("x_bucket", '{job="a", job_name=""}'), ("y_total", "")]
    assert selectors('label_values(z_total{job="j"}, job_version)') == [("z_total", '{job="j"}')]


def test_scrape_jobs_exist_in_prometheus_config() -> None:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    jobs = {scrape["job_name"] for scrape in config["scrape_configs"]}
    assert {job for _, _, job in EXPECTED.values()} <= jobs


def test_provisioning_files() -> None:
    assert datasource_uid()
    config = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "racetrack.yml").read_text())
    (provider,) = config["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert sorted(path.name for path in DASHBOARDS.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dashboard_structure(name: str) -> None:
    dashboard = load(name)
    uid = EXPECTED[name][0]
    assert dashboard["uid"] == uid
    assert dashboard["title"].strip()
    assert "id" not in dashboard or dashboard["id"] is None
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert dashboard["panels"], "no panels"
    ds = datasource_uid()
    for panel in dashboard["panels"]:
        assert panel["title"].strip()
        assert panel["datasource"]["uid"] == ds, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == ds, panel["title"]
            assert target["expr"].strip(), panel["title"]
    for variable in dashboard.get("templating", {}).get("list", []):
        assert variable["datasource"]["uid"] == ds


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_queried_metric_is_exported(name: str) -> None:
    _, exposition, scrape_job = EXPECTED[name]
    exported = sample_names(exposition()) | SYNTHETIC
    dashboard = load(name)
    for expr in expressions(dashboard):
        found = selectors(expr)
        assert found, f"no metric in {expr!r}"
        for metric, matchers in found:
            assert metric in exported, f"{name}: {metric!r} is not exported ({expr!r})"
            # Lifecycle, PUB and jobs share some names (commons_*, up): always pick the scrape job
            assert f'job="{scrape_job}"' in matchers, f"{name}: {metric} not restricted to {scrape_job}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ranges_follow_the_selected_time_window(name: str) -> None:
    for expr in expressions(load(name)):
        for window in _RANGE.findall(expr):
            assert window in ("$__rate_interval", "$__range"), f"fixed window [{window}] in {expr!r}"


def test_jobs_dashboard_variables() -> None:
    dashboard = load("jobs.json")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert set(variables) == {"job_name", "job_version"}
    for name, variable in variables.items():
        assert variable["type"] == "query"
        assert variable["definition"].startswith("label_values(")
        assert variable["definition"].rstrip().endswith(f", {name})")
        assert variable["query"]["query"] == variable["definition"]
    assert "$job_name" in variables["job_version"]["definition"]
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            assert 'job_name="$job_name"' in target["expr"], panel["title"]
            assert 'job_version="$job_version"' in target["expr"], panel["title"]


def test_job_page_link_matches_the_jobs_dashboard() -> None:
    link = urlsplit(GRAFANA_PATH)
    assert link.path.split("/")[2] == load("jobs.json")["uid"]
    assert "orgId" in parse_qs(link.query)


def test_exposition_names_are_prometheus_client_names() -> None:
    # counters carry _total, histograms _bucket/_sum/_count: the dashboards rely on it
    assert {"deployed_job_total", "commons_request_duration_bucket"} <= sample_names(lifecycle_exposition())
    assert {"pub_job_proxy_requests_total", "pub_job_call_response_time_histogram_bucket"} <= sample_names(
        pub_exposition()
    )
    assert {"requests_started_total", "request_duration_bucket"} <= sample_names(job_exposition())
