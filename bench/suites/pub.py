"""Gateway overhead: the same adder job called directly, through PUB and through nginx.

``racetrack up`` (temp data dir) deploys the adder sample; its job process listens on the port
Lifecycle reports as ``internal_name``. nginx (one worker, upstream keep-alive) proxies to that
same port. wrk loads the three in turn, round by round, with the same body and auth header.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.compare import interleaved
from bench.errors import BenchError
from bench.instance import Racetrack
from bench.load import Load, LoadResult, check_answer
from bench.options import Options
from bench.processes import Server, free_port
from bench.profiling import profile_under_load
from bench.report import SuiteResult, Table, Target, fmt, share
from bench.samples import sample
from bench.venvs import PROJECT_PYTHON, ROOT

NGINX = "/usr/sbin/nginx"
BODY = json.dumps({"numbers": [40, 2]})
EXPECTED = 42
DIRECT, PUB, NGINX_KEY = "direct (job port)", "through PUB", "through nginx"
BARE = "through a minimal aiohttp proxy"

NGINX_CONF = """
worker_processes 1;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  upstream job {{
    server {job};
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://job;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""


def nginx_server(job_address: str, tmp: Path, logs: Path) -> tuple[Server, int]:
    if not Path(NGINX).exists():
        raise BenchError(f"{NGINX} not found: apt-get install nginx-light")
    port = free_port()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
        (tmp / sub).chmod(0o777)  # workers drop to nobody when started as root
    (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, job=job_address, port=port))
    server = Server(
        "nginx", [NGINX, "-p", str(tmp), "-c", "nginx.conf", "-g", "daemon off;"], log=logs / "nginx.log"
    )
    return server, port


def bare_proxy(job_address: str, logs: Path) -> tuple[Server, int]:
    """ARCHITECTURE.md's "minimal ASGI proxy" (uvicorn + aiohttp), the floor PUB's target came from."""
    port = free_port()
    python = PROJECT_PYTHON if PROJECT_PYTHON.exists() else Path(sys.executable)
    argv = [
        str(python), "-m", "uvicorn", "bench.apps.aiohttp_proxy:app", "--host", "127.0.0.1",
        "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_UPSTREAM": f"http://{job_address}"}
    return Server("aiohttp proxy", argv, log=logs / "aiohttp-proxy.log", cwd=ROOT, env=env), port


def run(options: Options) -> SuiteResult:
    adder_dir = sample("python-class").path
    result = SuiteResult("pub")
    result.commands = [
        "RACETRACK_ADMIN_PASSWORD=… HOME=$TMP/home .venv/bin/racetrack up --port P --data-dir $TMP/data",
        "POST /lifecycle/api/v1/users/login → token; racetrack login TOKEN; "
        "racetrack deploy samples/python-class --build-context local",
        "GET /lifecycle/api/v1/job/adder/latest → internal_name (the job's own host:port)",
        "nginx -p $TMP -c nginx.conf -g 'daemon off;'   "
        "# 1 worker, proxy_pass to internal_name, keepalive 32",
        f"wrk -t{options.wrk_threads} -c{{1,16}} -d{options.duration:g}s --latency -s post_json.lua URL   "
        f"# body {BODY}, header X-Racetrack-Auth, after a {options.warmup:g} s warm-up; URL = "
        "http://internal_name/api/v1/perform | http://127.0.0.1:P/pub/job/adder/latest/api/v1/perform | "
        "http://127.0.0.1:N/api/v1/perform | http://127.0.0.1:M/api/v1/perform",
        "BENCH_UPSTREAM=http://internal_name .venv/bin/python -m uvicorn bench.apps.aiohttp_proxy:app "
        "--port M --loop uvloop --http httptools --no-access-log   # the minimal proxy of ARCHITECTURE.md",
    ]
    with contextlib.ExitStack() as stack:
        racetrack = stack.enter_context(Racetrack(options.logs, "pub"))
        deploy_s = racetrack.deploy(adder_dir)
        job = racetrack.job("adder")
        address = job.get("internal_name")
        if not address or job.get("status") != "running":
            raise BenchError(f"adder deployed in {deploy_s:.1f} s but not running: {job!r}")
        headers = {"X-Racetrack-Auth": racetrack.token}
        tmp = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        stack.callback(shutil.rmtree, tmp, True)
        nginx, nginx_port = nginx_server(address, tmp, options.logs)
        stack.enter_context(nginx)
        bare, bare_port = bare_proxy(address, options.logs)
        stack.enter_context(bare)
        loads = {
            DIRECT: Load(f"http://{address}/api/v1/perform", BODY, headers),
            PUB: Load(f"{racetrack.url}/pub/job/adder/latest/api/v1/perform", BODY, headers),
            NGINX_KEY: Load(f"http://127.0.0.1:{nginx_port}/api/v1/perform", BODY, headers),
            BARE: Load(f"http://127.0.0.1:{bare_port}/api/v1/perform", BODY, headers),
        }
        nginx.wait_ready(f"http://127.0.0.1:{nginx_port}/live", 20)
        bare.wait_ready(f"http://127.0.0.1:{bare_port}/live", 20)
        for load in loads.values():
            check_answer(load, EXPECTED, times=20)
        figures = interleaved(loads, options)
        if options.profile:
            top = max(options.concurrencies)
            profile = profile_under_load(
                racetrack.server.pid, "racetrack up (PUB)", loads[PUB], top, options.duration
            )
            print(profile.render(), flush=True)
            result.data["profile"] = profile.to_json()
            result.notes.append(profile.render())
    _tabulate(result, figures, options)
    tuned = {k: v for k, v in os.environ.items() if k.startswith(("PUB_", "LIFECYCLE_")) or k == "LOG_LEVEL"}
    if tuned:
        result.notes.append(f"racetrack up ran with {tuned} (not the defaults)")
        result.data["environment"] = tuned
    result.data["job_address"] = address
    return result


def _tabulate(result: SuiteResult, figures: dict[str, dict[int, LoadResult]], options: Options) -> None:
    cs = options.concurrencies
    headers = ["path"]
    for c in cs:
        headers += [
            f"c={c} req/s",
            f"c={c} p50 ms",
            f"c={c} p99 ms",
            f"c={c} share of direct",
            f"c={c} added p50 ms",
        ]
    table = Table("adder perform through each path (medians over rounds)", headers)
    direct = figures[DIRECT]
    for key, per_c in figures.items():
        row = [key]
        for c in cs:
            r = per_c[c]
            row += [
                fmt(r.requests_per_s),
                f"{r.p50_ms:.3f}",
                f"{r.p99_ms:.3f}",
                share(r.requests_per_s, direct[c].requests_per_s),
                f"{r.p50_ms - direct[c].p50_ms:+.3f}",
            ]
        table.rows.append(row)
    result.tables.append(table)
    top, low = max(cs), min(cs)
    pub = figures[PUB]
    result.targets = [
        Target(
            f"PUB share of direct req/s at c={top}",
            100 * pub[top].requests_per_s / direct[top].requests_per_s,
            60,
            ">=",
            " %",
        ),
        Target(f"PUB added p50 at c={low}", pub[low].p50_ms - direct[low].p50_ms, 1.0, "<=", " ms"),
    ]
    nginx, bare = figures[NGINX_KEY], figures[BARE]
    result.notes.append(
        f"the minimal aiohttp proxy (same uvicorn + aiohttp stack, no PUB logic) keeps "
        f"{share(bare[top].requests_per_s, direct[top].requests_per_s)} of direct at c={top}; PUB keeps "
        f"{share(pub[top].requests_per_s, bare[top].requests_per_s)} of that proxy's throughput"
    )
    result.notes.append(
        f"reference proxy: nginx keeps {share(nginx[top].requests_per_s, direct[top].requests_per_s)} "
        "of direct "
        f"at c={top} and adds {nginx[low].p50_ms - direct[low].p50_ms:+.3f} ms p50 at c={low}"
    )
    result.data["figures"] = {k: {str(c): r.to_json() for c, r in v.items()} for k, v in figures.items()}
