"""Job runtime: the adder sample served by our runtime, by upstream's wrapper and by raw Starlette.

All three run at once on loopback free ports (idle while another is loaded); wrk loads them in
turn, round by round, at each concurrency. Idle RSS is read from ``/proc/PID/status`` after the
server answered a few requests, before any load.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.compare import interleaved
from bench.errors import BenchError
from bench.load import Load, LoadResult, check_answer
from bench.options import Options
from bench.processes import Server, children_of, free_port, rss_mib
from bench.profiling import profile_under_load
from bench.report import SuiteResult, Table, Target, fmt, ratio, share
from bench.samples import sample
from bench.venvs import PROJECT_PYTHON, ROOT, venv

UPSTREAM = "racetrack-job-runner==1.18.0"
BODY = json.dumps({"numbers": [40, 2]})
EXPECTED = 42
OURS, UPSTREAM_KEY, STARLETTE = "job-runtime", "racetrack-job-runner 1.18.0", "raw Starlette"
READY_TIMEOUT = 60.0


@dataclass
class Contender:
    key: str
    server: Server
    port: int
    ready_path: str

    @property
    def load(self) -> Load:
        return Load(f"http://127.0.0.1:{self.port}/api/v1/perform", BODY, {})


def _python() -> str:
    return str(PROJECT_PYTHON) if PROJECT_PYTHON.exists() else sys.executable


def contenders(options: Options, sample: Path) -> list[Contender]:
    upstream_venv = venv("racetrack-job-runner-1.18.0", [UPSTREAM])
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    job_env = {**env, "JOB_NAME": "adder", "JOB_VERSION": "0.0.2"}
    ours_port, upstream_port, starlette_port = free_port(), free_port(), free_port()
    logs = options.logs
    return [
        Contender(
            OURS,
            Server(
                OURS,
                [
                    _python(),
                    "-m",
                    "racetrack_job_runtime",
                    "run",
                    "adder.py",
                    "AdderModel",
                    "--port",
                    str(ours_port),
                    "--host",
                    "127.0.0.1",
                ],
                log=logs / "job-runtime.log",
                cwd=sample,
                env=job_env,
            ),
            ours_port,
            "/ready",
        ),
        Contender(
            UPSTREAM_KEY,
            Server(
                UPSTREAM_KEY,
                [
                    str(upstream_venv / "bin" / "racetrack_job_runner"),
                    "run",
                    "adder.py",
                    "AdderModel",
                    "--manifest-path",
                    "job.yaml",
                    "--port",
                    str(upstream_port),
                ],
                log=logs / "racetrack-job-runner.log",
                cwd=sample,
                env=job_env,
            ),
            upstream_port,
            "/ready",
        ),
        Contender(
            STARLETTE,
            Server(
                STARLETTE,
                [
                    _python(),
                    "-m",
                    "uvicorn",
                    "bench.apps.starlette_adder:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(starlette_port),
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                log=logs / "starlette.log",
                cwd=ROOT,
                env={**env, "BENCH_ENTRYPOINT": str(sample / "adder.py"), "BENCH_CLASS": "AdderModel"},
            ),
            starlette_port,
            "/live",
        ),
    ]


def _tree_rss(pid: int) -> float:
    total = rss_mib(pid)
    for child in children_of(pid):
        with contextlib.suppress(OSError, BenchError):
            total += rss_mib(child)
    return total


def _wait_answer(contender: Contender) -> None:
    """Ready means the job answers ``perform`` correctly (not just the health probe)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            check_answer(contender.load, EXPECTED)
            return
        except BenchError:
            if time.monotonic() > deadline or not contender.server.alive():
                raise
            time.sleep(0.1)


def run(options: Options) -> SuiteResult:
    adder_dir = sample("python-class").path
    result = SuiteResult("runtime")
    result.commands = [
        "cd samples/python-class && .venv/bin/python -m racetrack_job_runtime run adder.py AdderModel "
        "--port P --host 127.0.0.1",
        "cd samples/python-class && JOB_NAME=adder JOB_VERSION=0.0.2 "
        "bench/.cache/venvs/racetrack-job-runner-1.18.0/bin/racetrack_job_runner run adder.py AdderModel "
        f"--manifest-path job.yaml --port P   # pip install {UPSTREAM}",
        "BENCH_ENTRYPOINT=samples/python-class/adder.py BENCH_CLASS=AdderModel .venv/bin/python -m uvicorn "
        "bench.apps.starlette_adder:app --port P --loop uvloop --http httptools --no-access-log",
        f"wrk -t{options.wrk_threads} -c{{1,16}} -d{options.duration:g}s --latency -s post_json.lua "
        f"http://127.0.0.1:P/api/v1/perform   # body {BODY}, after a {options.warmup:g} s warm-up",
    ]
    entries = contenders(options, adder_dir)
    idle_rss: dict[str, float] = {}
    loaded_rss: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        for contender in entries:
            stack.enter_context(contender.server)
        for contender in entries:
            contender.server.wait_ready(
                f"http://127.0.0.1:{contender.port}{contender.ready_path}", READY_TIMEOUT
            )
            _wait_answer(contender)
            check_answer(contender.load, EXPECTED, times=20)
        time.sleep(1.0)  # let start-up garbage settle before reading RSS
        for contender in entries:
            idle_rss[contender.key] = _tree_rss(contender.server.pid)
            print(f"  idle RSS {contender.key:<28} {idle_rss[contender.key]:.1f} MiB", flush=True)
        figures = interleaved({c.key: c.load for c in entries}, options)
        for contender in entries:
            loaded_rss[contender.key] = _tree_rss(contender.server.pid)
        if options.profile:
            ours = entries[0]
            top = max(options.concurrencies)
            profile = profile_under_load(ours.server.pid, OURS, ours.load, top, options.duration)
            print(profile.render(), flush=True)
            result.data["profile"] = profile.to_json()
            result.notes.append(profile.render())
    _tabulate(result, figures, idle_rss, loaded_rss, options)
    return result


def _tabulate(
    result: SuiteResult,
    figures: dict[str, dict[int, LoadResult]],
    idle_rss: dict[str, float],
    loaded_rss: dict[str, float],
    options: Options,
) -> None:
    cs = options.concurrencies
    headers = ["server"]
    for c in cs:
        headers += [f"c={c} req/s", f"c={c} p50 ms", f"c={c} p99 ms"]
    headers += ["idle RSS MiB", "RSS after load MiB"]
    table = Table("adder perform: absolute figures (medians over rounds)", headers)
    for key, per_c in figures.items():
        row = [key]
        for c in cs:
            r = per_c[c]
            row += [fmt(r.requests_per_s), f"{r.p50_ms:.3f}", f"{r.p99_ms:.3f}"]
        row += [f"{idle_rss[key]:.1f}", f"{loaded_rss[key]:.1f}"]
        table.rows.append(row)
    result.tables.append(table)

    ours, up, raw = figures[OURS], figures[UPSTREAM_KEY], figures[STARLETTE]
    ratios = Table(
        "job-runtime relative to the others",
        [
            "compared with",
            *[f"c={c} req/s ratio" for c in cs],
            *[f"c={c} p50 ratio" for c in cs],
            "idle RSS ratio",
        ],
    )
    for key, other in ((UPSTREAM_KEY, up), (STARLETTE, raw)):
        ratios.rows.append(
            [
                key,
                *[ratio(ours[c].requests_per_s, other[c].requests_per_s) for c in cs],
                *[ratio(ours[c].p50_ms, other[c].p50_ms) for c in cs],
                ratio(idle_rss[OURS], idle_rss[key]),
            ]
        )
    result.tables.append(ratios)

    top = max(cs)
    result.targets = [
        Target(
            f"job-runtime ÷ upstream wrapper, req/s at c={top}",
            ours[top].requests_per_s / up[top].requests_per_s,
            12,
            ">=",
            "×",
        ),
        Target(
            f"job-runtime share of raw Starlette, req/s at c={top}",
            100 * ours[top].requests_per_s / raw[top].requests_per_s,
            50,
            ">=",
            " %",
        ),
        Target("job-runtime idle RSS of one replica", idle_rss[OURS], 45, "<=", " MiB"),
    ]
    result.notes.append(
        f"job-runtime is {share(ours[top].requests_per_s, raw[top].requests_per_s)} "
        f"of raw Starlette at c={top}; "
        f"upstream's wrapper idles at {idle_rss[UPSTREAM_KEY]:.1f} MiB"
    )
    result.data = {
        **result.data,
        "figures": {k: {str(c): r.to_json() for c, r in v.items()} for k, v in figures.items()},
        "idle_rss_mib": idle_rss,
        "rss_after_load_mib": loaded_rss,
    }
