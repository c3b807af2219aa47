"""The authorisation matrix: grants stored in the database, loaded with the subject, checked.

For every subject type (user / ESC / job family) × grant level (all jobs / family / job /
endpoint) × granted scope, one subject holds that single grant; every scope is then checked on
every probe. ``check()`` must allow exactly where the table below says so: no unexpected
allow, no unexpected refusal. A subject without grants is refused everything.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from racetrack.lifecycle.db.models import AuthResourcePermission, AuthSubject, Esc, Job, JobFamily, User
from racetrack.lifecycle.services.auth import Subject, SubjectKind
from racetrack.lifecycle.services.permissions import AccessDenied, Scope, allowed, check
from tests.integration.lifecycle.lifecycle_support import TestClient

Probe = tuple[str | None, str | None, str | None]  # job name, exact version, endpoint

PROBES: dict[str, Probe] = {
    "any": (None, None, None),  # a scope-only check
    "adder1": ("adder", "1.0.0", None),
    "adder1_perform": ("adder", "1.0.0", "/api/v1/perform"),
    "adder1_perform_slash": ("adder", "1.0.0", "api/v1/perform/"),
    "adder1_other": ("adder", "1.0.0", "/api/v1/other"),
    "adder1_perform_sub": ("adder", "1.0.0", "/api/v1/perform/x"),
    "adder2": ("adder", "2.0.0", None),
    "adder2_perform": ("adder", "2.0.0", "/api/v1/perform"),
    "adder_missing": ("adder", None, None),  # a version that does not exist
    "other1": ("other", "1.0.0", None),
    "other1_perform": ("other", "1.0.0", "/api/v1/perform"),
    "adderish1": ("adder-x", "1.0.0", None),
}
# Which probes a grant of the right scope covers, per level (auth-and-permissions.md §5).
COVERS: dict[str, set[str]] = {
    "all": set(PROBES),
    "family": {
        "any",
        "adder1",
        "adder1_perform",
        "adder1_perform_slash",
        "adder1_other",
        "adder1_perform_sub",
        "adder2",
        "adder2_perform",
        "adder_missing",
    },
    "job": {"any", "adder1", "adder1_perform", "adder1_perform_slash", "adder1_other", "adder1_perform_sub"},
    "endpoint": {"any", "adder1_perform", "adder1_perform_slash"},
}
SUBJECT_TYPES = ("user", "esc", "job_family")


def _family(session: Any, name: str) -> JobFamily:
    family = session.scalars(select(JobFamily).where(JobFamily.name == name)).first()
    if family is None:
        family = JobFamily(name=name)
        session.add(family)
        session.flush()
    return family


def _seed_jobs(session: Any) -> dict[str, Job]:
    jobs = {}
    for name, version in (("adder", "1.0.0"), ("adder", "2.0.0"), ("other", "1.0.0"), ("adder-x", "1.0.0")):
        job = Job(name=name, version=version, family_id=_family(session, name).id, status="running")
        session.add(job)
        jobs[f"{name} {version}"] = job
    session.flush()
    return jobs


def _new_subject(session: Any, kind: str, label: str) -> AuthSubject:
    if kind == "user":
        user = User(username=f"{label}@example.com", password_hash="-")
        session.add(user)
        session.flush()
        subject = AuthSubject(user_id=user.id)
    elif kind == "esc":
        esc = Esc(name=label)
        session.add(esc)
        session.flush()
        subject = AuthSubject(esc_id=esc.id)
    else:
        subject = AuthSubject(job_family_id=_family(session, f"family-{label}").id)
    session.add(subject)
    session.flush()
    return subject


def _grant_row(subject_id: str, scope: Scope, level: str, session: Any, jobs: dict[str, Job]) -> None:
    row = AuthResourcePermission(subject_id=subject_id, scope=scope.value)
    if level in ("family", "job", "endpoint"):
        row.job_family_id = _family(session, "adder").id
    if level in ("job", "endpoint"):
        row.job_id = jobs["adder 1.0.0"].id
    if level == "endpoint":
        row.endpoint = "/api/v1/perform"
    session.add(row)


@pytest.mark.parametrize("level", sorted(COVERS))
@pytest.mark.parametrize("kind", SUBJECT_TYPES)
def test_check_allows_exactly_what_a_single_grant_covers(
    app: FastAPI, client: TestClient, kind: str, level: str
) -> None:
    lifecycle = app.state.lifecycle
    subject_ids: dict[Scope, str] = {}
    with lifecycle.db.session() as session:
        jobs = _seed_jobs(session)
        for granted in Scope:
            subject = _new_subject(session, kind, f"{level}-{granted.value}".replace("_", "-"))
            _grant_row(subject.id, granted, level, session, jobs)
            subject_ids[granted] = subject.id
    with lifecycle.db.session(readonly=True) as session:
        subjects = {
            granted: lifecycle.auth.subject_by_id(session, sid) for granted, sid in subject_ids.items()
        }

    unexpected = []
    checked = 0
    for granted, subject in subjects.items():
        assert subject.kind == SubjectKind(kind)
        for asked in Scope:
            scope_matches = granted in (asked, Scope.FULL_ACCESS)
            for probe_name, (name, version, endpoint) in PROBES.items():
                expected = scope_matches and probe_name in COVERS[level]
                if allowed(subject, asked, name, version, endpoint) != expected:
                    unexpected.append((granted.value, asked.value, probe_name, expected))
                try:
                    check(subject, asked, name, version, endpoint)
                    got = True
                except AccessDenied:
                    got = False
                if got != expected:
                    unexpected.append(("check", granted.value, asked.value, probe_name, expected))
                checked += 1
    assert checked == len(Scope) ** 2 * len(PROBES)
    assert unexpected == []


@pytest.mark.parametrize("kind", SUBJECT_TYPES)
def test_a_subject_without_grants_is_refused_everything(app: FastAPI, client: TestClient, kind: str) -> None:
    lifecycle = app.state.lifecycle
    with lifecycle.db.session() as session:
        _seed_jobs(session)
        subject_id = _new_subject(session, kind, "nobody").id
    with lifecycle.db.session(readonly=True) as session:
        subject: Subject = lifecycle.auth.subject_by_id(session, subject_id)
    for asked in Scope:
        for name, version, endpoint in PROBES.values():
            with pytest.raises(AccessDenied):
                check(subject, asked, name, version, endpoint)


def test_internal_token_without_scopes_is_refused() -> None:
    for scopes in (frozenset(), frozenset({"call_job"})):
        internal = Subject(SubjectKind.INTERNAL, "image-builder", scopes=scopes)
        for asked in Scope:
            expected = asked.value in scopes
            for name, version, endpoint in PROBES.values():
                assert allowed(internal, asked, name, version, endpoint) is expected
