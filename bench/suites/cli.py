"""CLI start-up: ``racetrack --help`` of this project vs upstream's ``racetrack-client==2.26.0``.

hyperfine runs both commands back to back (no shell, a few warm-up runs so both read from the
page cache) with HOME set to an empty temp dir, so neither reads a user's config.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.errors import BenchError
from bench.options import Options
from bench.report import SuiteResult, Table, Target, ratio
from bench.venvs import ROOT, venv

UPSTREAM = "racetrack-client==2.26.0"
OURS, UPSTREAM_KEY = "racetrack (this project)", "racetrack-client 2.26.0"


def _check(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0 or "Usage" not in done.stdout:
        raise BenchError(
            f"{' '.join(argv)} did not print its help (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )


def run(options: Options) -> SuiteResult:
    hyperfine = shutil.which("hyperfine")
    if hyperfine is None:
        raise BenchError("hyperfine is not installed: apt-get install hyperfine")
    ours = ROOT / ".venv" / "bin" / "racetrack"
    if not ours.exists():
        raise BenchError(f"{ours} not found: run `make install`")
    upstream = venv("racetrack-client-2.26.0", [UPSTREAM]) / "bin" / "racetrack"
    commands = {OURS: [str(ours), "--help"], UPSTREAM_KEY: [str(upstream), "--help"]}
    result = SuiteResult("cli")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        env = {**os.environ, "HOME": tmp, "NO_COLOR": "1"}
        env.pop("VIRTUAL_ENV", None)
        for argv in commands.values():
            _check(argv, env)
        out = Path(tmp) / "hyperfine.json"
        argv = [
            hyperfine,
            "--shell=none",
            "--warmup",
            "3",
            "--runs",
            str(options.cli_runs),
            "--export-json",
            str(out),
            *[" ".join(c) for c in commands.values()],
        ]
        result.commands = [
            f"hyperfine --shell=none --warmup 3 --runs {options.cli_runs} "
            "'.venv/bin/racetrack --help' 'bench/.cache/venvs/racetrack-client-2.26.0/bin/racetrack --help'"
            f"   # HOME=empty temp dir; pip install {UPSTREAM}"
        ]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0 or not out.exists():
            raise BenchError(f"hyperfine failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
        runs = json.loads(out.read_text())["results"]
    medians = {key: float(r["median"]) for key, r in zip(commands, runs, strict=True)}
    table = Table(
        "`racetrack --help`, wall clock (hyperfine)",
        ["client", "median s", "mean s", "stddev s", "min s", "max s", "vs upstream"],
    )
    for key, r in zip(commands, runs, strict=True):
        table.rows.append(
            [
                key,
                f"{r['median']:.3f}",
                f"{r['mean']:.3f}",
                f"{r['stddev']:.3f}",
                f"{r['min']:.3f}",
                f"{r['max']:.3f}",
                ratio(medians[key], medians[UPSTREAM_KEY]),
            ]
        )
    result.tables.append(table)
    result.targets = [Target("`racetrack --help` median", medians[OURS], 0.25, "<=", " s")]
    result.notes.append(
        f"upstream's client takes {medians[UPSTREAM_KEY] / medians[OURS]:.1f}× as long to print its help"
    )
    result.data = {"hyperfine": {key: r for key, r in zip(commands, runs, strict=True)}}
    return result
