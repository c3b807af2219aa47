"""Authorisation: may this subject do SCOPE on this job (and endpoint)?

One function, :func:`check`, is the whole decision so the full permission model can replace
it in one place. For now:

* internal subjects are allowed what their token's scopes list (``full_access``: everything);
* the anonymous subject (only when ``auth_required`` is off) is allowed everything;
* active users are allowed everything;
* ESCs and job families may only ``call_job``, and only where a grant
  (AuthResourcePermission row) covers the job (any job, its family, the exact version)
  and, when the grant names one, the endpoint.
"""

from __future__ import annotations

from enum import StrEnum

from racetrack.core.errors import PermissionDeniedError
from racetrack.lifecycle.services.auth import Grant, Subject, SubjectKind


class Scope(StrEnum):
    READ_JOB = "read_job"
    DEPLOY_JOB = "deploy_job"
    DEPLOY_NEW_FAMILY = "deploy_new_family"
    DELETE_JOB = "delete_job"
    CALL_JOB = "call_job"
    CALL_ADMIN_API = "call_admin_api"
    FULL_ACCESS = "full_access"


# What a subject gets on a job it deployed for the first time (auth-and-permissions.md §6).
DEPLOYER_SCOPES = (Scope.READ_JOB, Scope.CALL_JOB, Scope.DEPLOY_JOB, Scope.DELETE_JOB)


class AccessDenied(PermissionDeniedError):
    """A valid subject lacks a permission; ``details`` is shown only with ``auth_debug``."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details


def normalise_endpoint(endpoint: str) -> str:
    """``api/v1/perform/`` → ``/api/v1/perform`` (leading slash, no trailing one)."""
    endpoint = "/" + endpoint.lstrip("/")
    return endpoint.rstrip("/") or "/"


def _grant_covers(
    grant: Grant, scope: str, job_name: str | None, job_version: str | None, endpoint: str | None
) -> bool:
    if grant.scope not in (scope, Scope.FULL_ACCESS):
        return False
    if job_name is None:  # a scope-only check: any grant of that scope counts
        return True
    if grant.family_name is not None and grant.family_name != job_name:
        return False
    if grant.job_name is not None and (grant.job_name, grant.job_version) != (job_name, job_version):
        return False
    if grant.endpoint is not None:
        return endpoint is not None and normalise_endpoint(grant.endpoint) == endpoint
    return True


def _resource(job_name: str | None, job_version: str | None) -> str:
    if job_name is None:
        return "any resource"
    return f'resource "{job_name} v{job_version}"' if job_version else f'resource "{job_name}"'


def check(
    subject: Subject,
    scope: str,
    job_name: str | None = None,
    job_version: str | None = None,
    endpoint: str | None = None,
) -> None:
    """Allow or refuse ``subject`` doing ``scope`` on a job (optionally one endpoint).

    Raises:
        AccessDenied: the subject may not; ``details`` names subject, resource and scope.
    """
    if endpoint is not None:
        endpoint = normalise_endpoint(endpoint)
    if subject.kind == SubjectKind.INTERNAL:
        if Scope.FULL_ACCESS in subject.scopes or scope in subject.scopes:
            return
    elif subject.kind in (SubjectKind.ANONYMOUS, SubjectKind.USER):
        return
    elif scope == Scope.CALL_JOB and any(
        _grant_covers(grant, scope, job_name, job_version, endpoint) for grant in subject.grants
    ):
        return
    target = (
        f"endpoint {endpoint} at {_resource(job_name, job_version)}"
        if endpoint
        else _resource(job_name, job_version)
    )
    raise AccessDenied(
        "no permission to do this operation",
        f'auth subject "{subject.description}" does not have permission to access {target} '
        f'with scope "{scope}"',
    )
