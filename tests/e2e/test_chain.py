"""Job-to-job calls: python-chain calls adder through PUB with its family's token."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.conftest import SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e


def test_chain_call_needs_a_family_grant_and_then_works(cli: Cli, server: Server, admin_token: str) -> None:
    headers = {"X-Racetrack-Auth": admin_token}
    cli("deploy", str(SAMPLES / "python-class"), "--force")
    cli("deploy", str(SAMPLES / "python-chain"), "--force")
    url = f"{server.pub}/job/python-chain/latest/api/v1/perform"

    refused = httpx.post(url, json={"numbers": [40, 2.7]}, headers=headers, timeout=30)
    assert refused.status_code == 500
    assert "401" in refused.json()["error"] or "Unauthenticated" in refused.json()["error"]

    grant = httpx.post(
        f"{server.remote}/api/v1/auth/allow/job_family/python-chain/job/adder/scope/call_job", headers=headers
    )
    assert grant.status_code in (200, 201), grant.text
    deadline = time.monotonic() + 5  # PUB may still hold the refusal for its short negative TTL
    while True:
        answer = httpx.post(url, json={"numbers": [40, 2.7]}, headers=headers, timeout=30)
        if answer.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert answer.status_code == 200, answer.text
    assert answer.json() == 43
