"""Suite-wide fixtures and the skip rule: on a laptop a missing tool skips with a reason,
in CI (``CI=true``) it fails, so a green CI run never hides an untested part."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip the calling test when ``condition`` is false, or fail it in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required for this test in CI: {reason}")
    pytest.skip(reason)
