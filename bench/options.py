"""Knobs shared by the suites (set from the command line)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.venvs import CACHE


@dataclass(frozen=True)
class Options:
    """How long and how often to measure, and where to keep the servers' logs."""

    duration: float = 8.0  # seconds of each measured wrk run
    warmup: float = 2.0  # seconds of wrk before each measured run, discarded
    rounds: int = 2  # interleaved rounds over the contenders; figures are medians over rounds
    wrk_threads: int = 1  # wrk threads (2 cores: leave one to the server)
    concurrencies: tuple[int, ...] = (1, 16)
    deploy_repeats: int = 3  # cold deployments (fresh data dir each); warm redeploys follow each
    warm_redeploys: int = 3  # unchanged-dependency redeploys after each cold one
    cli_runs: int = 40  # hyperfine runs per command
    wait_quiet: float = 0.0  # seconds to wait for idle CPUs before each suite (0: don't)
    quick: bool = False  # short runs to check the harness; results kept apart
    profile: bool = False  # py-spy the server under test after measuring
    logs: Path = field(default_factory=lambda: CACHE / "logs" / time.strftime("%Y%m%d-%H%M%S"))
