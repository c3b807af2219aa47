"""Authorisation: may this subject do SCOPE on this job (and endpoint)?

The permission model of auth-and-permissions.md §4–§7. :func:`check` is the whole decision:

* internal subjects are allowed what their token's scopes list (``full_access``: everything;
  an empty list: nothing);
* the anonymous subject (only when ``auth_required`` is off) is allowed everything;
* users, ESCs and job families are allowed exactly what their grants (AuthResourcePermission
  rows) cover. A grant names a scope (``full_access`` covers every scope) and optionally
  narrows the resource to a family, one job version and one endpoint of it.

Scope-only checks (no job named: ``deploy_new_family``, ``call_admin_api``, "may list jobs at
all") match any grant of that scope whatever its resource. An endpoint-level grant covers only
checks of that exact endpoint (normalised), never the whole job.

:class:`PermissionService` makes grants (idempotent) for the granting endpoints.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from loguru import logger
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from racetrack.core.errors import InvalidInputError, PermissionDeniedError
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import AuthResourcePermission, AuthSubject, Esc, JobFamily
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.auth import NEW_USER_SCOPES, AuthService, Grant, Subject, SubjectKind


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
# What a new user gets on all jobs (granted by AuthService when the user's subject is created).
USER_DEFAULT_SCOPES = tuple(Scope(scope) for scope in NEW_USER_SCOPES)


class AccessDenied(PermissionDeniedError):
    """A valid subject lacks a permission; ``details`` is shown only with ``auth_debug``."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details


def parse_scope(text: str) -> Scope:
    """The scope named ``text``; 400 naming it and the valid ones otherwise."""
    try:
        return Scope(text)
    except ValueError:
        valid = ", ".join(scope.value for scope in Scope)
        raise InvalidInputError(f"unknown scope: {text!r}; valid scopes: {valid}") from None


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


def allowed(
    subject: Subject,
    scope: str,
    job_name: str | None = None,
    job_version: str | None = None,
    endpoint: str | None = None,
) -> bool:
    """Whether ``subject`` may do ``scope`` on the job (optionally one endpoint of it)."""
    if endpoint is not None:
        endpoint = normalise_endpoint(endpoint)
    if subject.kind == SubjectKind.ANONYMOUS:
        return True
    if subject.kind == SubjectKind.INTERNAL:
        return Scope.FULL_ACCESS in subject.scopes or scope in subject.scopes
    return any(_grant_covers(grant, scope, job_name, job_version, endpoint) for grant in subject.grants)


def check(
    subject: Subject,
    scope: str,
    job_name: str | None = None,
    job_version: str | None = None,
    endpoint: str | None = None,
) -> None:
    """Allow or refuse ``subject`` doing ``scope`` on a job (optionally one endpoint).

    ``job_version`` is the exact (alias-resolved) version; None when the job does not exist,
    so only global and family-wide grants can match.

    Raises:
        AccessDenied: the subject may not; ``details`` names subject, resource and scope.
    """
    if allowed(subject, scope, job_name, job_version, endpoint):
        return
    if endpoint is not None:
        endpoint = normalise_endpoint(endpoint)
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


def is_staff(subject: Subject) -> bool:
    """Whether ``subject`` may do staff-only operations (see check_staff)."""
    try:
        check_staff(subject)
    except PermissionDeniedError:
        return False
    return True


def check_staff(subject: Subject) -> None:
    """Staff-only operations: an active staff user, or an ESC, job family or internal token
    holding ``call_admin_api`` (or ``full_access``) on all jobs.

    (Inactive users never get this far: authentication refuses them.)
    """
    if subject.kind == SubjectKind.USER and subject.is_staff:
        return
    if subject.kind in (SubjectKind.INTERNAL, SubjectKind.ANONYMOUS) and allowed(
        subject, Scope.CALL_ADMIN_API
    ):
        return  # internal tokens by their scopes; anonymous only exists with auth_required off
    if subject.kind in (SubjectKind.ESC, SubjectKind.JOB_FAMILY) and any(
        grant.scope in (Scope.CALL_ADMIN_API, Scope.FULL_ACCESS)
        and grant.family_name is None
        and grant.job_name is None
        and grant.endpoint is None
        for grant in subject.grants
    ):  # administering Racetrack is global: a grant limited to some jobs does not count
        return
    raise PermissionDeniedError(f"{subject.description or 'anonymous caller'} is not a staff member")


class PermissionService:
    """The granting endpoints (scope ``call_admin_api``)."""

    def __init__(self, db: Database, auth: AuthService) -> None:
        self._db = db
        self._auth = auth

    def allow_esc(self, caller: Subject, esc_id: str, family_name: str, scope: str) -> None:
        """Let an ESC do ``scope`` on every version of a family (staff or ``call_admin_api``)."""
        check_staff(caller)
        granted = parse_scope(scope)
        with self._db.session() as session:
            esc = session.get(Esc, esc_id)
            if esc is None:
                raise InvalidInputError(f"ESC {esc_id} does not exist")
            family = _family(session, family_name)
            subject = session.scalars(select(AuthSubject).where(AuthSubject.esc_id == esc.id)).first()
            if subject is None:
                subject = AuthSubject(esc_id=esc.id)
                session.add(subject)
                session.flush()
            if grant(session, subject.id, granted, family_id=family.id):
                audit.record_permission(
                    session,
                    True,
                    executor=caller.username,
                    subject_type="esc",
                    subject=esc.id,
                    scope=granted.value,
                    job_family=family.name,
                )
        logger.info("ESC granted", esc=esc_id, family=family_name, scope=scope, by=caller.username)

    def allow_family(self, caller: Subject, source: str, target: str, scope: str) -> None:
        """Let every version of family ``source`` do ``scope`` on every version of ``target``."""
        check_staff(caller)
        granted = parse_scope(scope)
        with self._db.session() as session:
            source_family = _family(session, source)
            target_family = _family(session, target)
            subject = self._auth.family_subject(session, source_family)
            if grant(session, subject.id, granted, family_id=target_family.id):
                audit.record_permission(
                    session,
                    True,
                    executor=caller.username,
                    subject_type="job_family",
                    subject=source_family.name,
                    scope=granted.value,
                    job_family=target_family.name,
                )
        logger.info("job family granted", source=source, target=target, scope=scope, by=caller.username)


def _family(session: Session, name: str) -> JobFamily:
    family = session.scalars(select(JobFamily).where(JobFamily.name == name)).first()
    if family is None:
        raise InvalidInputError(f"job family {name} does not exist")
    return family


def grant(
    session: Session,
    subject_id: str,
    scope: Scope,
    *,
    family_id: str | None = None,
    job_id: str | None = None,
    endpoint: str | None = None,
) -> bool:
    """Add a grant unless an identical one exists (then a warning); True when added."""
    if endpoint is not None:
        endpoint = normalise_endpoint(endpoint)
    existing = session.scalars(
        select(AuthResourcePermission.id).where(
            AuthResourcePermission.subject_id == subject_id,
            AuthResourcePermission.scope == scope.value,
            _is(AuthResourcePermission.job_family_id, family_id),
            _is(AuthResourcePermission.job_id, job_id),
            _is(AuthResourcePermission.endpoint, endpoint),
        )
    ).first()
    if existing is not None:
        logger.warning("permission already granted", subject=subject_id, scope=scope.value)
        return False
    session.add(
        AuthResourcePermission(
            subject_id=subject_id,
            scope=scope.value,
            job_family_id=family_id,
            job_id=job_id,
            endpoint=endpoint,
        )
    )
    session.flush()
    return True


def _is(column: Any, value: str | None) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return result
