"""Results of a suite: tables of figures and ratios, targets checked PASS/MISS, a JSON file."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass
class Table:
    """A titled table; cells are already formatted strings."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def render(self) -> str:
        widths = [
            max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
            for i, h in enumerate(self.headers)
        ]

        def line(cells: list[str]) -> str:
            return "  ".join(
                c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )

        out = [self.title, line(self.headers), line(["-" * w for w in widths])]
        out.extend(line(r) for r in self.rows)
        return "\n".join(out)

    def markdown(self) -> str:
        out = ["| " + " | ".join(self.headers) + " |", "|" + "---|" * len(self.headers)]
        out.extend("| " + " | ".join(r) + " |" for r in self.rows)
        return "\n".join(out)


@dataclass
class Target:
    """A goal from the issue: ``measured`` must be ``>=`` or ``<=`` ``limit``."""

    name: str
    measured: float
    limit: float
    op: str  # ">=" or "<="
    unit: str = ""

    @property
    def passed(self) -> bool:
        return self.measured >= self.limit if self.op == ">=" else self.measured <= self.limit

    def render(self) -> str:
        verdict = "PASS" if self.passed else "MISS"
        target = f"target {self.op} {fmt(self.limit)}{self.unit}"
        return f"{verdict}  {self.name}: {fmt(self.measured)}{self.unit} ({target})"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measured": self.measured,
            "limit": self.limit,
            "op": self.op,
            "unit": self.unit,
            "passed": self.passed,
        }


@dataclass
class SuiteResult:
    """What one suite produced."""

    suite: str
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        parts = [f"=== {self.suite} ==="]
        parts.extend(t.render() + "\n" for t in self.tables)
        if self.targets:
            parts.append("targets:")
            parts.extend("  " + t.render() for t in self.targets)
        parts.extend("note: " + n for n in self.notes)
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "machine": machine(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "commands": self.commands,
            "tables": [{"title": t.title, "headers": t.headers, "rows": t.rows} for t in self.tables],
            "markdown": [t.markdown() for t in self.tables],
            "targets": [t.to_json() for t in self.targets],
            "notes": self.notes,
            "data": self.data,
        }

    def save(self, quick: bool = False) -> Path:
        """Write the JSON; ``--quick`` runs go to ``results/quick/`` so they never pass for figures."""
        directory = RESULTS_DIR / "quick" if quick else RESULTS_DIR
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.suite}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path


def fmt(value: float) -> str:
    """Figures at a readable precision: 3 significant digits below 100, integers above."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value else "0"


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}×" if reference else "n/a"


def share(value: float, reference: float) -> str:
    return f"{100 * value / reference:.0f} %" if reference else "n/a"


def _first_line(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
        return "not installed"
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else "?"


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": _first_line(["wrk", "--version"]),
        "nginx": _first_line(["/usr/sbin/nginx", "-v"]),
        "hyperfine": _first_line(["hyperfine", "--version"]),
    }
