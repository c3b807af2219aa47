"""The authorisation matrix over HTTP: Lifecycle's API and calls through a real PUB.

One subject per subject type × grant level × granted scope, each with its own token. Every
subject then reads a job, edits its manifest, asks PUB's question (``can-call-job``), uses the
administration API and calls job endpoints through PUB (several versions, aliases, other
families). The answer must be "allowed" exactly where the grant covers the request: zero
unexpected allows, zero unexpected refusals.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from racetrack.lifecycle.db.models import Job
from racetrack.lifecycle.services.auth import SubjectKind
from racetrack.lifecycle.services.permissions import Scope
from racetrack.pub.app import create_app as create_pub_app
from racetrack.pub.settings import PubSettings
from tests.integration.lifecycle.lifecycle_support import ADMIN_PASSWORD, INTERNAL_TOKEN, deploy
from tests.integration.lifecycle.test_lifecycle_permissions import (
    COVERS,
    SUBJECT_TYPES,
    _grant_row,
    _new_subject,
)
from tests.integration.pub.pub_servers import ServerThread

API = "/lifecycle/api/v1"
KINDS = {"user": SubjectKind.USER, "esc": SubjectKind.ESC, "job_family": SubjectKind.JOB_FAMILY}
# (job, version as asked, endpoint) through PUB -> the probe of the matrix it stands for
PUB_CALLS = {
    ("adder", "1.0.0", "/api/v1/perform"): "adder1_perform",
    ("adder", "1.0.0", "/api/v1/perform/x"): "adder1_perform_sub",
    ("adder", "1.0.0", "/api/v1/other"): "adder1_other",
    ("adder", "2.0.0", "/api/v1/perform"): "adder2_perform",
    ("adder", "latest", "/api/v1/perform"): "adder2_perform",
    ("adder", "1.x", "/api/v1/perform"): "adder1_perform",
    ("other", "1.0.0", "/api/v1/perform"): "other1_perform",
}


@pytest.fixture
def servers(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Lifecycle and PUB, each on its own loopback port; yields their base URLs."""
    lifecycle = ServerThread(app).start()
    pub = ServerThread(
        create_pub_app(
            PubSettings(
                lifecycle_url=f"{lifecycle.url}/lifecycle",
                lifecycle_auth_token=INTERNAL_TOKEN,
                lifecycle_timeout=5.0,
            )
        )
    ).start()
    try:
        yield lifecycle.url, pub.url
    finally:
        pub.stop()
        lifecycle.stop()


def _admin_headers(http: httpx.Client) -> dict[str, str]:
    response = http.post(f"{API}/users/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-Racetrack-Auth": response.json()["token"]}


def _tokens(app: FastAPI, kind: str, level: str) -> dict[Scope, str]:
    """One subject per scope, holding only that scope at ``level``; their tokens."""
    lifecycle = app.state.lifecycle
    tokens = {}
    with lifecycle.db.session() as session:
        jobs = {f"{job.name} {job.version}": job for job in session.scalars(select(Job))}
        for granted in Scope:
            subject = _new_subject(session, kind, f"http-{level}-{granted.value}".replace("_", "-"))
            _grant_row(subject.id, granted, level, session, jobs)
            tokens[granted] = lifecycle.auth.issue_token(session, subject, KINDS[kind])
    return tokens


@pytest.mark.parametrize("kind", SUBJECT_TYPES)
def test_api_and_pub_allow_exactly_what_a_single_grant_covers(
    app: FastAPI, servers: tuple[str, str], kind: str
) -> None:
    lifecycle_url, pub_url = servers
    with httpx.Client(base_url=lifecycle_url, timeout=20) as http:
        admin = _admin_headers(http)
        manifests = {}
        for name, version in (
            ("adder", "1.0.0"),
            ("adder", "2.0.0"),
            ("other", "1.0.0"),
            ("adder-x", "1.0.0"),
        ):
            result = deploy(http, admin, name=name, version=version)  # type: ignore[arg-type]
            assert result["status"] == "done", result
            manifests[(name, version)] = http.get(f"{API}/job/{name}/{version}", headers=admin).json()[
                "manifest_yaml"
            ]
        unexpected: list[tuple[Any, ...]] = []
        asked = 0
        for level in sorted(COVERS):
            for granted, token in _tokens(app, kind, level).items():
                headers = {"X-Racetrack-Auth": token}

                def covers(scope: Scope, probe: str, granted: Scope = granted, level: str = level) -> bool:
                    return granted in (scope, Scope.FULL_ACCESS) and probe in COVERS[level]

                api_checks = {
                    "read job": (
                        http.get(f"{API}/job/adder/1.0.0", headers=headers).status_code,
                        covers(Scope.READ_JOB, "adder1"),
                    ),
                    "edit manifest": (
                        http.put(
                            f"{API}/job/adder/1.0.0/manifest",
                            json={"manifest_yaml": manifests[("adder", "1.0.0")]},
                            headers=headers,
                        ).status_code,
                        covers(Scope.DEPLOY_JOB, "adder1"),
                    ),
                    "can-call-job": (
                        http.get(
                            f"{API}/auth/can-call-job/adder/1.0.0/api/v1/perform", headers=headers
                        ).status_code,
                        covers(Scope.CALL_JOB, "adder1_perform"),
                    ),
                    "admin API": (
                        http.get(f"{API}/permissions", headers=headers).status_code,
                        kind != "user"
                        and level == "all"
                        and granted in (Scope.CALL_ADMIN_API, Scope.FULL_ACCESS),
                    ),
                }
                for what, (status, expected) in api_checks.items():
                    asked += 1
                    if (status == 200) != expected or status not in (200, 401, 403):
                        unexpected.append((level, granted.value, what, status, expected))
                for (name, version, endpoint), probe in PUB_CALLS.items():
                    asked += 1
                    response = httpx.get(
                        f"{pub_url}/pub/job/{name}/{version}{endpoint}", headers=headers, timeout=20
                    )
                    expected = covers(Scope.CALL_JOB, probe)
                    refused = response.status_code == 401
                    if refused == expected or (not refused and response.status_code != 404):
                        unexpected.append(
                            (level, granted.value, "PUB", name, version, endpoint, response.status_code)
                        )
    assert asked == len(COVERS) * len(Scope) * (4 + len(PUB_CALLS))
    assert unexpected == []
