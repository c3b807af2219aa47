"""Load generation with wrk: POST a JSON body for a fixed time, read req/s and latency percentiles.

The Lua script's ``done`` callback prints the exact figures as one JSON line, so nothing is parsed
from wrk's human-readable (rounded) summary.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.errors import BenchError

MARKER = "BENCH_JSON "

_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{marker}{{"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, '
    .. '"write_errors": %d, "timeouts": %d, "bad_status": %d, "p50_us": %d, "p90_us": %d, '
    .. '"p99_us": %d, "mean_us": %f, "max_us": %d}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
"""


@dataclass(frozen=True)
class Load:
    """What to send: one URL, one JSON body, extra headers."""

    url: str
    body: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class LoadResult:
    """One wrk run at one concurrency."""

    connections: int
    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for ASCII text


def wrk_script(load: Load, directory: Path) -> Path:
    headers = "\n".join(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in load.headers.items())
    script = directory / "post_json.lua"
    script.write_text(_SCRIPT.format(body=_lua_string(load.body), headers=headers, marker=MARKER))
    return script


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("wrk is not installed: apt-get install wrk")
    return found


def run_wrk(load: Load, connections: int, seconds: float, threads: int = 1) -> LoadResult:
    """Run wrk once; raise when any request failed (a figure with errors in it is not a figure)."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = wrk_script(load, Path(tmp))
        argv = [
            wrk_binary(),
            f"-t{max(1, min(threads, connections))}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            load.url,
        ]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=False)
        except subprocess.TimeoutExpired as e:
            raise BenchError(f"wrk did not finish: {' '.join(argv)}") from e
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed (exit {done.returncode}) on {load.url}:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line[len(MARKER) :])
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "bad_status"))
    if errors:
        raise BenchError(f"{errors} failed requests against {load.url} at c={connections}: {raw}")
    if raw["requests"] == 0:
        raise BenchError(f"no request completed against {load.url} at c={connections}")
    duration = raw["duration_us"] / 1e6
    return LoadResult(
        connections=connections,
        requests=raw["requests"],
        duration_s=round(duration, 3),
        requests_per_s=round(raw["requests"] / duration, 1),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=round(raw["mean_us"] / 1000, 3),
        max_ms=raw["max_us"] / 1000,
        errors=errors,
    )


def post_json(load: Load, timeout: float = 10.0) -> Any:
    """One request, as wrk will send it; answers the decoded JSON (raises on a non-2xx answer)."""
    request = urllib.request.Request(
        load.url,
        data=load.body.encode(),
        headers={"Content-Type": "application/json", **load.headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        raise BenchError(f"POST {load.url} answered HTTP {e.code}: {e.read()[:500]!r}") from e
    except (urllib.error.URLError, OSError) as e:
        raise BenchError(f"POST {load.url} failed: {e}") from e


def check_answer(load: Load, expected: Any, times: int = 1) -> None:
    """Send the request ``times`` times and insist on the expected answer (before any load)."""
    for _ in range(times):
        got = post_json(load)
        if got != expected:
            raise BenchError(f"POST {load.url} answered {got!r}, expected {expected!r}")
