"""The distribution's public surface, its lazy imports and its packaged assets."""

from __future__ import annotations

import subprocess
import sys

import racetrack_job_runtime
from racetrack_job_runtime.docs_page import ASSETS, ASSETS_DIR, SWAGGER_UI_VERSION


def test_public_names_are_exported() -> None:
    assert set(racetrack_job_runtime.__all__) == {
        "__version__",
        "call_job",
        "call_job_async",
        "request_context",
    }
    for name in racetrack_job_runtime.__all__:
        assert getattr(racetrack_job_runtime, name) is not None


def test_rarely_used_parts_are_not_imported_when_serving_a_plain_job() -> None:
    code = (
        "import sys, racetrack_job_runtime.server, racetrack_job_runtime.job;"
        "print(sorted(m for m in sys.modules if m.startswith(('racetrack_job_runtime', 'yaml',"
        " 'mimetypes', 'http.client'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for lazy in ("chain", "openapi", "docs_page", "wsgi", "'yaml'", "mimetypes", "http.client"):
        assert lazy not in loaded, f"{lazy} imported eagerly: {loaded}"


def test_runtime_does_not_depend_on_web_frameworks_or_pydantic() -> None:
    code = (
        "import sys, racetrack_job_runtime.server, racetrack_job_runtime.app;"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for heavy in ("fastapi", "starlette", "pydantic", "prometheus_client", "httpx"):
        assert f"'{heavy}'" not in loaded


def test_swagger_ui_assets_ship_with_their_licence() -> None:
    for name in ASSETS:
        assert (ASSETS_DIR / name).stat().st_size > 0
    assert "Apache License" in (ASSETS_DIR / "swagger-ui.LICENSE").read_text()
    assert SWAGGER_UI_VERSION in (ASSETS_DIR / "README.md").read_text()
