"""One module per suite, each with ``run(options) -> SuiteResult``."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bench.options import Options
from bench.report import SuiteResult

SUITES = ("runtime", "pub", "deploy", "cli", "dashboard")


def runner(name: str) -> Callable[[Options], SuiteResult]:
    module = importlib.import_module(f"bench.suites.{name}")
    run: Callable[[Options], SuiteResult] = module.run
    return run
