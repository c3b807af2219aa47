"""Throwaway virtualenvs for the comparison packages (upstream's wrapper and CLI, py-spy).

Each lives in ``bench/.cache/venvs/NAME`` (gitignored), is made with uv from the project's
.venv and is reused while its package list is unchanged. Nothing is installed into .venv.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from bench.errors import BenchError

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def uv_binary() -> str:
    for candidate in (ROOT / ".venv" / "bin" / "uv", ROOT / ".tools" / "bin" / "uv"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("uv")
    if found is None:
        raise BenchError("uv not found: run `make install` (it bootstraps uv and .venv)")
    return found


def venv(name: str, packages: list[str]) -> Path:
    """The venv ``bench/.cache/venvs/NAME`` holding exactly ``packages`` (made on first use)."""
    path = CACHE / "venvs" / name
    marker = path / ".bench-packages"
    wanted = "\n".join(packages)
    if marker.exists() and marker.read_text() == wanted and (path / "bin" / "python").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    uv = uv_binary()
    base = str(PROJECT_PYTHON) if PROJECT_PYTHON.exists() else sys.executable
    _run([uv, "venv", "--quiet", "--python", base, str(path)])
    _run([uv, "pip", "install", "--quiet", "--python", str(path / "bin" / "python"), *packages])
    marker.write_text(wanted)
    return path


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
