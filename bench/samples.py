"""The sample jobs the suites deploy or serve, with a request that proves each one works."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.errors import BenchError
from bench.venvs import ROOT


@dataclass(frozen=True)
class Sample:
    """A folder of ``samples/``, its job name and one perform call with its answer."""

    path: Path
    job: str
    body: dict[str, Any]
    expected: Any

    @property
    def relative(self) -> str:
        return str(self.path.relative_to(ROOT))


# sample folder → (perform body, expected answer)
CALLS: dict[str, tuple[dict[str, Any], Any]] = {
    "python-class": ({"numbers": [40, 2]}, 42),
    "python-requirements": ({"size": 1234567}, "1.2 MB"),
}


def sample(name: str) -> Sample:
    path = ROOT / "samples" / name
    manifest = path / "job.yaml"
    if not manifest.is_file():
        raise BenchError(f"sample {name!r} not found: {manifest} is missing")
    job = yaml.safe_load(manifest.read_text()).get("name")
    if not job:
        raise BenchError(f"{manifest} has no name")
    body, expected = CALLS[name]
    return Sample(path, str(job), body, expected)
