"""Fixtures of the local target tests (defined in tests/integration/infra/local_kit.py)."""

from tests.integration.infra.local_kit import key, linux, targets  # noqa: F401
