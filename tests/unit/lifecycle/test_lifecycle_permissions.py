"""The authorisation decision of racetrack.lifecycle.services.permissions.check."""

from __future__ import annotations

import pytest

from racetrack.lifecycle.services.auth import ANONYMOUS, Grant, Subject, SubjectKind
from racetrack.lifecycle.services.permissions import AccessDenied, check, normalise_endpoint

USER = Subject(SubjectKind.USER, "alice@example.com", subject_id="s1", user_id="u1")
FAMILY = Subject(SubjectKind.JOB_FAMILY, "chain", subject_id="s2")


def family_with(*grants: Grant) -> Subject:
    return Subject(SubjectKind.JOB_FAMILY, "chain", subject_id="s2", grants=grants)


def test_users_internal_and_anonymous_subjects_are_allowed() -> None:
    check(USER, "delete_job", "adder", "0.0.1")
    check(ANONYMOUS, "deploy_new_family")
    check(Subject(SubjectKind.INTERNAL, "pub", scopes=frozenset({"full_access"})), "call_admin_api")
    check(Subject(SubjectKind.INTERNAL, "pub", scopes=frozenset({"call_job"})), "call_job", "adder", "1.0.0")


def test_internal_subject_without_the_scope_is_refused() -> None:
    with pytest.raises(AccessDenied):
        check(Subject(SubjectKind.INTERNAL, "builder", scopes=frozenset()), "call_job", "adder", "1.0.0")


def test_family_may_only_call_jobs_it_was_granted() -> None:
    with pytest.raises(AccessDenied) as denied:
        check(FAMILY, "call_job", "adder", "0.0.1", "/api/v1/perform")
    assert denied.value.details == (
        'auth subject "Job family chain" does not have permission to access endpoint /api/v1/perform '
        'at resource "adder v0.0.1" with scope "call_job"'
    )
    check(family_with(Grant("call_job", family_name="adder")), "call_job", "adder", "0.0.1", "/x")
    check(family_with(Grant("full_access")), "call_job", "adder", "0.0.1", "/x")
    with pytest.raises(AccessDenied):
        check(family_with(Grant("call_job", family_name="bumper")), "call_job", "adder", "0.0.1", "/x")
    with pytest.raises(AccessDenied):
        check(family_with(Grant("read_job")), "call_job", "adder", "0.0.1", "/x")


def test_job_and_endpoint_grants_are_exact() -> None:
    exact = family_with(Grant("call_job", job_name="adder", job_version="0.0.1", endpoint="/api/v1/perform/"))
    check(exact, "call_job", "adder", "0.0.1", "api/v1/perform")
    for version, endpoint in (("0.0.2", "/api/v1/perform"), ("0.0.1", "/api/v1/perform/more")):
        with pytest.raises(AccessDenied):
            check(exact, "call_job", "adder", version, endpoint)


def test_families_may_not_manage_jobs_even_with_grants() -> None:
    with pytest.raises(AccessDenied):
        check(family_with(Grant("full_access")), "delete_job", "adder", "0.0.1")


@pytest.mark.parametrize(
    ("given", "expected"), [("api/v1/perform", "/api/v1/perform"), ("/x/", "/x"), ("", "/"), ("/", "/")]
)
def test_endpoints_are_normalised(given: str, expected: str) -> None:
    assert normalise_endpoint(given) == expected
