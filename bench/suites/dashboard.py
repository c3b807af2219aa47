"""Dashboard: time to first byte of the Jobs page (``GET /dashboard/``) with 1,000 jobs.

A private ``racetrack up`` gets 200 families × 5 versions written straight into its SQLite
database; then the admin's session fetches the page again and again (one at a time, a fresh
connection each, after a few discarded warm-up requests). TTFB is the time from sending the
request to reading the response headers.
"""

from __future__ import annotations

import http.client
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.errors import BenchError
from bench.instance import Racetrack
from bench.options import Options
from bench.report import SuiteResult, Table, Target, fmt
from racetrack.lifecycle.db.models import Job, JobFamily

FAMILIES, VERSIONS = 200, 5
TARGET_MS = 200.0
WARMUP = 5
MANIFEST = """name: {name}
version: {version}
owner_email: team-{team}@example.com
jobtype: python3:3.2.0
git:
  remote: https://github.com/example/{name}
labels:
  team: team-{team}
resources:
  memory_max: 1Gi
"""


def seed(database_url: str) -> int:
    """Write FAMILIES × VERSIONS running jobs; returns how many."""
    engine = create_engine(database_url)
    start = datetime.now(UTC) - timedelta(days=30)
    count = 0
    with Session(engine) as session, session.begin():
        for f in range(FAMILIES):
            name = f"bench-job-{f:03d}"
            family = JobFamily(name=name)
            session.add(family)
            session.flush()
            for v in range(VERSIONS):
                version = f"1.{v}.{f % 7}"
                moment = start + timedelta(minutes=count)
                session.add(
                    Job(
                        name=name,
                        version=version,
                        family_id=family.id,
                        status="running" if (f + v) % 9 else "error",
                        create_time=moment,
                        update_time=moment,
                        manifest_yaml=MANIFEST.format(name=name, version=version, team=f % 13),
                        deployed_by="admin",
                        infrastructure_target="local",
                        job_type_version="python3:3.2.0",
                        error=None if (f + v) % 9 else "crashed at start-up",
                        notice="job type python3:3.2.0 is deprecated" if f % 20 == 0 else None,
                    )
                )
                count += 1
    engine.dispose()
    return count


def ttfb(port: int, path: str, token: str) -> tuple[float, int, int]:
    """(seconds to the response headers, status, body bytes) of one GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": f"X-Racetrack-Auth={token}"})
        response = conn.getresponse()
        first = time.perf_counter() - started
        body = response.read()
        return first, response.status, len(body)
    finally:
        conn.close()


def run(options: Options) -> SuiteResult:
    requests = 20 if options.quick else 100
    result = SuiteResult("dashboard")
    result.commands = [
        "racetrack up (1,000 jobs seeded into its SQLite database)",
        "GET /dashboard/ as admin",
    ]
    with Racetrack(options.logs, "dashboard") as instance:
        jobs = seed(f"sqlite:///{(instance.data_dir / 'lifecycle.db').resolve()}")
        listed = instance.api("GET", "job")
        if not isinstance(listed, list) or len(listed) < jobs:
            raise BenchError(f"seeded {jobs} jobs but the API lists {len(listed) if listed else 0}")
        times: list[float] = []
        size = 0
        for i in range(WARMUP + requests):
            seconds, status, size = ttfb(instance.port, "/dashboard/", instance.token)
            if status != 200:
                raise BenchError(f"GET /dashboard/ answered HTTP {status}{instance.server.tail()}")
            if i >= WARMUP:
                times.append(seconds * 1000)
        filtered = [
            ttfb(instance.port, "/dashboard/?q=bench-job-01+1.2", instance.token)[0] * 1000 for _ in range(20)
        ]
    times.sort()
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    table = Table(
        f"GET /dashboard/ with {jobs} jobs ({requests} sequential requests, page {size // 1024} KiB)",
        ["request", "median ms", "p95 ms", "max ms"],
    )
    table.rows.append(["jobs page (full tree)", fmt(median), fmt(p95), fmt(times[-1])])
    filtered.sort()
    table.rows.append(
        [
            "jobs page, filter 'bench-job-01 1.2'",
            fmt(statistics.median(filtered)),
            fmt(filtered[18]),
            fmt(filtered[-1]),
        ]
    )
    result.tables.append(table)
    result.targets.append(Target("jobs page TTFB with 1,000 jobs (median)", median, TARGET_MS, "<=", " ms"))
    result.targets.append(Target("jobs page TTFB with 1,000 jobs (p95)", p95, TARGET_MS, "<=", " ms"))
    result.data = {"jobs": jobs, "ttfb_ms": times, "filtered_ttfb_ms": filtered, "page_bytes": size}
    return result
