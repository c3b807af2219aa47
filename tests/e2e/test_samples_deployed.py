"""Samples deployed as a user would: a job without a version (primer, 0.0.1 by default) and a
webview-only ASGI job with its own requirements (docs-formatter)."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e


def test_primer_deploys_without_a_version_and_answers(cli: Cli) -> None:
    cli("deploy", str(SAMPLES / "python-primer"), "--force", timeout=300)
    assert (
        cli("call", "primer", "/api/v1/perform", '{"number": 7907}').stdout.strip().splitlines()[-1] == "true"
    )
    assert "0.0.1" in cli("list").stdout


@pytest.mark.timeout(600)
def test_docs_formatter_serves_its_webview(cli: Cli, server: Server, admin_token: str) -> None:
    cli("deploy", str(SAMPLES / "docs-formatter"), "--force", timeout=480)
    headers = {"X-Racetrack-Auth": admin_token}
    base = f"{server.pub}/job/docs-formatter/latest"
    preview = httpx.post(
        f"{base}/api/v1/webview/preview", data={"raw_docs": "# Title\n\n*hello*"}, headers=headers
    )
    assert preview.status_code in (302, 303), preview.text
    location = preview.headers["location"]
    view = httpx.get(
        location if location.startswith("http") else f"{server.base_url}{location}", headers=headers
    )
    assert view.status_code == 200
    assert "<h1>Title</h1>" in view.text and "<em>hello</em>" in view.text
