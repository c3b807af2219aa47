"""Deploy time: ``racetrack deploy`` to Ready, cold and with a warm environment cache.

Each cold deployment gets a fresh ``racetrack up`` (new data dir, so an empty uv cache and no
job environments: the PyPI downloads of the runtime's and the job's dependencies are in the
figure). Unchanged-dependency redeploys (``--force``) follow on the same instance. The time is
the wall clock of the CLI command, from start-up to its "deployed" line (the job answered
``/ready``), checked afterwards with a call through PUB.
"""

from __future__ import annotations

import json
import re
import time

from bench.errors import BenchError
from bench.instance import Racetrack
from bench.load import Load, check_answer
from bench.options import Options
from bench.report import SuiteResult, Table, Target, ratio
from bench.samples import Sample, sample
from bench.stats import median

SAMPLES = ("python-requirements", "python-class")
PUB_WAIT = 20.0  # seconds a deployed job may take to answer through PUB
_BUILD_FACTS = re.compile(r"(Resolved|Prepared|Installed|Downloaded|ready in|reus|cache)", re.IGNORECASE)


def _check_job(racetrack: Racetrack, job: Sample, seen: list[str]) -> float:
    """Wait until the job answers right through PUB; the seconds that took after the CLI returned.

    Errors met meanwhile are appended to ``seen``.
    """
    started = time.perf_counter()
    record = racetrack.job(job.job)
    if record.get("status") != "running":
        raise BenchError(
            f"{job.job} deployed but its status is {record.get('status')!r}: {record.get('error')}"
        )
    url = f"{racetrack.url}/pub/job/{job.job}/latest/api/v1/perform"
    load = Load(url, json.dumps(job.body), {"X-Racetrack-Auth": racetrack.token})
    first = True
    while True:
        try:
            check_answer(load, job.expected)
            return time.perf_counter() - started
        except BenchError as e:
            if first:
                seen.append(str(e)[:300])
                first = False
            if time.perf_counter() - started > PUB_WAIT:
                raise


def _build_facts(racetrack: Racetrack, job: str) -> list[str]:
    try:
        out = racetrack.cli("build-logs", job, timeout=30).stdout
    except BenchError as e:
        return [f"(build logs unavailable: {e})"]
    return [line.strip() for line in out.splitlines() if _BUILD_FACTS.search(line)]


def _progress(repeat: int, name: str, kind: str, seconds: float, lag: float) -> None:
    print(
        f"  repeat {repeat} {name:<20} {kind}  {seconds:6.2f} s  (+{lag:.2f} s until PUB answers)", flush=True
    )


def run(options: Options) -> SuiteResult:
    result = SuiteResult("deploy")
    samples = {name: sample(name) for name in SAMPLES}
    result.commands = [
        "RACETRACK_ADMIN_PASSWORD=… HOME=$TMP/home .venv/bin/racetrack up --port P --data-dir $TMP/data   "
        "# fresh for every cold deployment (empty uv cache)",
        "time racetrack deploy SAMPLE --build-context local            # cold",
        "time racetrack deploy SAMPLE --build-context local --force    # warm: unchanged dependencies",
        *[f"SAMPLE = {s.relative}" for s in samples.values()],
    ]
    cold: dict[str, list[float]] = {name: [] for name in SAMPLES}
    warm: dict[str, list[float]] = {name: [] for name in SAMPLES}
    lags: dict[str, list[float]] = {name: [] for name in SAMPLES}
    warm_lags: dict[str, list[float]] = {name: [] for name in SAMPLES}
    facts: dict[str, dict[str, list[str]]] = {}
    pub_errors: list[str] = []
    for repeat in range(1, options.deploy_repeats + 1):
        for name in SAMPLES:
            job = samples[name]
            with Racetrack(options.logs, f"deploy-{name}-{repeat}") as racetrack:
                seconds = racetrack.deploy(job.path)
                lag = _check_job(racetrack, job, pub_errors)
                cold[name].append(seconds)
                lags[name].append(lag)
                _progress(repeat, name, "cold", seconds, lag)
                if repeat == 1:
                    facts[name] = {"cold": _build_facts(racetrack, job.job)}
                for _ in range(options.warm_redeploys):
                    seconds = racetrack.deploy(job.path, force=True)
                    lag = _check_job(racetrack, job, pub_errors)
                    warm[name].append(seconds)
                    warm_lags[name].append(lag)
                    _progress(repeat, name, "warm", seconds, lag)
                if repeat == 1:
                    facts[name]["warm"] = _build_facts(racetrack, job.job)

    table = Table(
        "racetrack deploy to Ready, wall clock of the CLI (medians)",
        [
            "sample",
            "cold s",
            "warm redeploy s",
            "warm ÷ cold",
            "max wait for PUB after cold s",
            "max wait for PUB after warm s",
            "cold runs s",
            "warm runs s",
        ],
    )
    for name in SAMPLES:
        c, w = median(cold[name]), median(warm[name])
        table.rows.append(
            [
                samples[name].relative,
                f"{c:.2f}",
                f"{w:.2f}",
                ratio(w, c),
                f"{max(lags[name]):.2f}",
                f"{max(warm_lags[name]):.2f}",
                " ".join(f"{x:.2f}" for x in cold[name]),
                " ".join(f"{x:.2f}" for x in warm[name]),
            ]
        )
    result.tables.append(table)
    req = "python-requirements"
    result.targets = [
        Target("cold deploy of a job with one small requirement", median(cold[req]), 15, "<=", " s"),
        Target("unchanged-dependency redeploy (--force, warm cache)", median(warm[req]), 3, "<=", " s"),
    ]
    result.notes.append(
        "cold includes downloading from PyPI (fresh uv cache in the fresh data dir): "
        "the runtime's dependencies "
        "(uvicorn, httptools, uvloop, pyyaml, …) and the sample's requirement"
    )
    for name, per_kind in facts.items():
        for kind, lines in per_kind.items():
            if lines:
                result.notes.append(f"build log of {name} ({kind}): " + " | ".join(lines[:8]))
    worst = max(x for per in (*lags.values(), *warm_lags.values()) for x in per)
    if worst > 0.5:
        result.notes.append(
            f"after the CLI reported a deployment done, PUB took up to {worst:.2f} s more to answer right; "
            f"meanwhile: {pub_errors[0] if pub_errors else '?'}"
        )
    result.data = {
        "cold_s": cold,
        "warm_s": warm,
        "pub_wait_after_cold_s": lags,
        "pub_wait_after_warm_s": warm_lags,
        "build_log_facts": facts,
        "pub_errors_after_deploy": pub_errors,
    }
    return result
