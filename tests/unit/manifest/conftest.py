"""Fixtures for manifest tests: a minimal valid manifest and a writer of manifest files."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

MINIMAL: dict[str, Any] = {
    "name": "text-stats",
    "owner_email": "jane@example.org",
    "jobtype": "python3:2.4.0",
    "git": {"remote": "https://git.example.org/analytics/text-stats"},
}


@pytest.fixture
def minimal() -> dict[str, Any]:
    """A fresh copy of the smallest valid manifest mapping."""
    return copy.deepcopy(MINIMAL)


WriteFile = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """``write(relative_path, content)``: write a mapping as YAML (or text as is) under tmp_path."""

    def _write(relative: str, content: dict[str, Any] | str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
