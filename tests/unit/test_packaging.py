"""The wheel carries what an installed Racetrack needs at run time besides code."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_carries_templates_static_assets_migrations_and_docs(tmp_path: Path) -> None:
    uv = Path(sys.executable).parent / "uv"
    subprocess.run([str(uv), "build", "--wheel", "-q", "-o", str(tmp_path)], cwd=REPO, check=True)
    (wheel,) = tmp_path.glob("racetrack-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    for needed in (
        "racetrack/dashboard/templates/base.html",
        "racetrack/dashboard/static/htmx.min.js",
        "racetrack/dashboard/static/dashboard.css",
        "racetrack/dashboard/bundled_docs/quickstart.md",
        "racetrack/lifecycle/db/migrations/env.py",
    ):
        assert needed in names, f"{needed} is missing from {wheel.name}"
    docs = {path.name for path in (REPO / "docs").glob("*.md")}
    assert {n.rsplit("/", 1)[1] for n in names if "/bundled_docs/" in n} == docs
