"""The authorisation decision of racetrack.lifecycle.services.permissions.check."""

from __future__ import annotations

import pytest

from racetrack.core.errors import InvalidInputError, PermissionDeniedError
from racetrack.lifecycle.services.auth import ANONYMOUS, Grant, Subject, SubjectKind
from racetrack.lifecycle.services.permissions import (
    USER_DEFAULT_SCOPES,
    AccessDenied,
    Scope,
    allowed,
    check,
    check_staff,
    normalise_endpoint,
    parse_scope,
)

USER = Subject(SubjectKind.USER, "alice@example.com", subject_id="s1", user_id="u1")
FAMILY = Subject(SubjectKind.JOB_FAMILY, "chain", subject_id="s2")


def family_with(*grants: Grant) -> Subject:
    return Subject(SubjectKind.JOB_FAMILY, "chain", subject_id="s2", grants=grants)


def test_internal_and_anonymous_subjects_are_allowed() -> None:
    check(ANONYMOUS, "deploy_new_family")
    check(Subject(SubjectKind.INTERNAL, "pub", scopes=frozenset({"full_access"})), "call_admin_api")
    check(Subject(SubjectKind.INTERNAL, "pub", scopes=frozenset({"call_job"})), "call_job", "adder", "1.0.0")


def test_internal_subject_without_the_scope_is_refused() -> None:
    for scopes in (frozenset(), frozenset({"read_job"})):
        for scope in Scope:
            if scope.value in scopes:
                continue
            with pytest.raises(AccessDenied):
                check(Subject(SubjectKind.INTERNAL, "builder", scopes=scopes), scope, "adder", "1.0.0")


def test_users_need_grants_like_everyone_else() -> None:
    with pytest.raises(AccessDenied) as denied:
        check(USER, "delete_job", "adder", "0.0.1")
    assert str(denied.value) == "no permission to do this operation"
    assert denied.value.details == (
        'auth subject "User alice@example.com" does not have permission to access resource '
        '"adder v0.0.1" with scope "delete_job"'
    )
    with pytest.raises(AccessDenied):
        check(USER, "read_job")
    staff = Subject(SubjectKind.USER, "boss@example.com", user_id="u2", is_staff=True)
    with pytest.raises(AccessDenied):  # staff alone grants no job scopes
        check(staff, "read_job", "adder", "0.0.1")
    reader = Subject(SubjectKind.USER, "r@example.com", user_id="u3", grants=(Grant("read_job"),))
    check(reader, "read_job", "adder", "0.0.1")
    check(reader, "read_job")
    assert not allowed(reader, "delete_job", "adder", "0.0.1")


def test_scope_only_checks_match_any_grant_of_that_scope() -> None:
    narrow = family_with(Grant("deploy_new_family", job_name="x", job_version="1", endpoint="/e"))
    check(narrow, "deploy_new_family")
    with pytest.raises(AccessDenied):
        check(narrow, "call_admin_api")


def test_missing_job_matches_only_global_and_family_grants() -> None:
    for grant in (Grant("read_job"), Grant("read_job", family_name="adder")):
        check(family_with(grant), "read_job", "adder", None)
    with pytest.raises(AccessDenied):
        check(family_with(Grant("read_job", job_name="adder", job_version="1")), "read_job", "adder", None)


def test_staff_operations() -> None:
    check_staff(Subject(SubjectKind.USER, "boss@example.com", user_id="u2", is_staff=True))
    check_staff(Subject(SubjectKind.INTERNAL, "pub", scopes=frozenset({"full_access"})))
    with pytest.raises(PermissionDeniedError, match="User alice@example.com is not a staff member"):
        check_staff(USER)
    with pytest.raises(PermissionDeniedError):  # call_admin_api grants do not make a user staff
        check_staff(Subject(SubjectKind.USER, "a@b.c", user_id="u4", grants=(Grant("full_access"),)))
    with pytest.raises(PermissionDeniedError):
        check_staff(Subject(SubjectKind.INTERNAL, "builder", scopes=frozenset({"call_job"})))


def test_scopes_are_the_seven_of_the_spec() -> None:
    assert [s.value for s in Scope] == [
        "read_job",
        "deploy_job",
        "deploy_new_family",
        "delete_job",
        "call_job",
        "call_admin_api",
        "full_access",
    ]
    assert set(USER_DEFAULT_SCOPES) == {"read_job", "call_job", "deploy_new_family", "deploy_job"}
    assert parse_scope("call_job") is Scope.CALL_JOB
    with pytest.raises(InvalidInputError, match="unknown scope: 'call_fatman'"):
        parse_scope("call_fatman")


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


def test_full_access_covers_every_scope_for_every_subject_type() -> None:
    for scope in Scope:
        check(family_with(Grant("full_access")), scope, "adder", "0.0.1")
        check(Subject(SubjectKind.ESC, "billing", grants=(Grant("full_access"),)), scope, "adder", "0.0.1")


@pytest.mark.parametrize(
    ("given", "expected"), [("api/v1/perform", "/api/v1/perform"), ("/x/", "/x"), ("", "/"), ("/", "/")]
)
def test_endpoints_are_normalised(given: str, expected: str) -> None:
    assert normalise_endpoint(given) == expected
