"""Make ``tests.conftest`` and ``tests.integration.infra.local_kit`` importable under plain ``pytest``."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parents[3])
if REPO not in sys.path:
    sys.path.append(REPO)
