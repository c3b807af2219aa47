"""The administration API (auth-and-permissions.md §8, §13; lifecycle-api.md §10).

Users (active, staff, password), permission grants (list, create, revoke), public endpoint
requests (activate, deactivate) and maintenance mode. Every operation is staff only: an
active staff user, or a token holding ``call_admin_api`` (:func:`check_staff`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from loguru import logger
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from racetrack.core.errors import InvalidInputError, NotFoundError
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import (
    AuthResourcePermission,
    AuthSubject,
    Esc,
    Job,
    JobFamily,
    PublicEndpointRequest,
    TrashJob,
    User,
)
from racetrack.lifecycle.schemas import timestamp
from racetrack.lifecycle.services import audit
from racetrack.lifecycle.services.auth import AuthService, Subject, SubjectKind
from racetrack.lifecycle.services.maintenance import is_maintenance_mode, set_maintenance_mode
from racetrack.lifecycle.services.permissions import check_staff, grant, normalise_endpoint, parse_scope
from racetrack.lifecycle.services.users import validate_password


class SubjectType(StrEnum):
    USER = "user"
    ESC = "esc"
    JOB_FAMILY = "job_family"


def parse_subject_type(text: str) -> SubjectType:
    try:
        return SubjectType(text)
    except ValueError:
        valid = ", ".join(kind.value for kind in SubjectType)
        raise InvalidInputError(f"unknown subject type: {text!r}; valid types: {valid}") from None


@dataclass(frozen=True)
class UserInfo:
    username: str
    is_active: bool
    is_staff: bool


@dataclass(frozen=True)
class PermissionInfo:
    id: int
    subject_type: str
    subject: str  # username, ESC id or family name
    scope: str
    job_family: str | None = None
    job_version: str | None = None
    endpoint: str | None = None


@dataclass(frozen=True)
class PublicEndpointInfo:
    id: str
    job_name: str
    job_version: str
    endpoint: str
    active: bool


@dataclass(frozen=True)
class TrashInfo:
    """A deleted job version; its name and version stay claimed (``--force`` overrides)."""

    id: str
    name: str
    version: str
    status: str
    deployed_by: str | None
    infrastructure_target: str | None
    job_type_version: str | None
    create_time: int
    delete_time: int
    manifest_yaml: str


class AdminService:
    def __init__(self, db: Database, auth: AuthService) -> None:
        self._db = db
        self._auth = auth

    # -- tokens ---------------------------------------------------------------------------

    def regenerate_all_tokens(self, caller: Subject, kind: SubjectKind) -> int:
        """Give every user, ESC or job family (``kind``) a new token; the old ones stop working
        at once. Jobs keep their family's old token until they are redeployed. Returns how many."""
        check_staff(caller)
        owner = {
            SubjectKind.USER: AuthSubject.user_id,
            SubjectKind.ESC: AuthSubject.esc_id,
            SubjectKind.JOB_FAMILY: AuthSubject.job_family_id,
        }[kind]
        with self._db.session() as session:
            subjects = session.scalars(select(AuthSubject).where(owner.is_not(None))).all()
            for subject in subjects:
                self._auth.regenerate_token(session, subject, kind)
        logger.warning("every token regenerated", kind=str(kind), count=len(subjects), by=caller.username)
        return len(subjects)

    # -- users ----------------------------------------------------------------------------

    def list_users(self, caller: Subject) -> list[UserInfo]:
        check_staff(caller)
        with self._db.session(readonly=True) as session:
            return [
                UserInfo(user.username, user.is_active, user.is_staff)
                for user in session.scalars(select(User).order_by(User.username))
            ]

    def update_user(
        self,
        caller: Subject,
        username: str,
        *,
        is_active: bool | None = None,
        is_staff: bool | None = None,
        password: str | None = None,
    ) -> UserInfo:
        """Change a user's flags or password.

        Raises:
            NotFoundError: no such user.
            InvalidInputError: a weak password, or staff locking themselves out.
        """
        check_staff(caller)
        with self._db.session() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise NotFoundError(f"user {username} does not exist")
            if caller.user_id == user.id and (is_active is False or is_staff is False):
                raise InvalidInputError("you cannot deactivate or remove staff status from your own account")
            changes: list[str] = []
            if password is not None:
                validate_password(password, user.username)
                user.password_hash = PasswordHasher().hash(password)
                changes.append("password reset")
            if is_active is not None and is_active != user.is_active:
                user.is_active = is_active
                changes.append("activated" if is_active else "deactivated")
            if is_staff is not None and is_staff != user.is_staff:
                user.is_staff = is_staff
                changes.append("made staff" if is_staff else "removed from staff")
            if changes:
                audit.record(
                    session,
                    audit.AuditEvent.USER_CHANGED,
                    executor=caller.username,
                    subject=user.username,
                    properties={"changes": changes},
                )
            info = UserInfo(user.username, user.is_active, user.is_staff)
        logger.info(
            "user updated",
            username=username,
            is_active=is_active,
            is_staff=is_staff,
            password_changed=password is not None,
            by=caller.username,
        )
        return info

    # -- permissions ------------------------------------------------------------------------

    def list_permissions(
        self,
        caller: Subject,
        subject_type: str | None = None,
        subject: str | None = None,
        scope: str | None = None,
    ) -> list[PermissionInfo]:
        check_staff(caller)
        kind = parse_subject_type(subject_type) if subject_type else None
        wanted_scope = parse_scope(scope).value if scope else None
        with self._db.session(readonly=True) as session:
            query = select(AuthResourcePermission).order_by(AuthResourcePermission.id)
            if wanted_scope is not None:
                query = query.where(AuthResourcePermission.scope == wanted_scope)
            infos = [self._describe(session, row) for row in session.scalars(query)]
        return [
            info
            for info in infos
            if (kind is None or info.subject_type == kind.value)
            and (subject is None or info.subject == subject)
        ]

    def create_permission(
        self,
        caller: Subject,
        subject_type: str,
        subject: str,
        scope: str,
        job_family: str | None = None,
        job_version: str | None = None,
        endpoint: str | None = None,
    ) -> PermissionInfo:
        """Grant ``scope`` to a user, ESC or job family (idempotent: answers the existing grant).

        Raises:
            InvalidInputError: unknown subject type, user, ESC, family, job version or scope;
                a job version or endpoint without a family.
        """
        check_staff(caller)
        kind = parse_subject_type(subject_type)
        granted = parse_scope(scope)
        job_family = job_family or None
        job_version = job_version or None
        endpoint = normalise_endpoint(endpoint) if endpoint else None
        if (job_version is not None or endpoint is not None) and job_family is None:
            raise InvalidInputError("job_version and endpoint need job_family")
        with self._db.session() as session:
            subject_id = self._subject_id(session, kind, subject)
            family_id = job_id = None
            if job_family is not None:
                family = session.scalars(select(JobFamily).where(JobFamily.name == job_family)).first()
                if family is None:
                    raise InvalidInputError(f"job family {job_family} does not exist")
                family_id = family.id
                if job_version is not None:
                    job = session.scalars(
                        select(Job).where(Job.family_id == family.id, Job.version == job_version)
                    ).first()
                    if job is None:
                        raise InvalidInputError(f"job {job_family} v{job_version} does not exist")
                    job_id = job.id
            if grant(session, subject_id, granted, family_id=family_id, job_id=job_id, endpoint=endpoint):
                audit.record_permission(
                    session,
                    True,
                    executor=caller.username,
                    subject_type=kind.value,
                    subject=subject,
                    scope=granted.value,
                    job_family=job_family,
                    job_version=job_version,
                    endpoint=endpoint,
                )
            row = session.scalars(
                select(AuthResourcePermission).where(
                    AuthResourcePermission.subject_id == subject_id,
                    AuthResourcePermission.scope == granted.value,
                    _is(AuthResourcePermission.job_family_id, family_id),
                    _is(AuthResourcePermission.job_id, job_id),
                    _is(AuthResourcePermission.endpoint, endpoint),
                )
            ).one()
            info = self._describe(session, row)
        logger.info("permission granted", permission=info.id, by=caller.username)
        return info

    def delete_permission(self, caller: Subject, permission_id: int) -> None:
        check_staff(caller)
        with self._db.session() as session:
            row = session.get(AuthResourcePermission, permission_id)
            if row is None:
                raise NotFoundError(f"permission {permission_id} does not exist")
            info = self._describe(session, row)
            session.delete(row)
            audit.record_permission(
                session,
                False,
                executor=caller.username,
                subject_type=info.subject_type,
                subject=info.subject,
                scope=info.scope,
                job_family=info.job_family,
                job_version=info.job_version,
                endpoint=info.endpoint,
            )
        logger.info("permission revoked", permission=permission_id, by=caller.username)

    def _subject_id(self, session: Session, kind: SubjectType, name: str) -> str:
        if kind == SubjectType.USER:
            user = session.scalars(select(User).where(User.username == name)).first()
            if user is None:
                raise InvalidInputError(f"user {name} does not exist")
            return self._auth.user_subject(session, user).id
        if kind == SubjectType.ESC:
            esc = session.get(Esc, name)
            if esc is None:
                raise InvalidInputError(f"ESC {name} does not exist")
            row = session.scalars(select(AuthSubject).where(AuthSubject.esc_id == esc.id)).first()
            if row is None:
                row = AuthSubject(esc_id=esc.id)
                session.add(row)
                session.flush()
            return row.id
        family = session.scalars(select(JobFamily).where(JobFamily.name == name)).first()
        if family is None:
            raise InvalidInputError(f"job family {name} does not exist")
        return self._auth.family_subject(session, family).id

    @staticmethod
    def _describe(session: Session, row: AuthResourcePermission) -> PermissionInfo:
        owner = session.get(AuthSubject, row.subject_id)
        kind, name = "unknown", row.subject_id
        if owner is not None and owner.user_id is not None:
            user = session.get(User, owner.user_id)
            kind, name = SubjectType.USER.value, user.username if user else owner.user_id
        elif owner is not None and owner.esc_id is not None:
            kind, name = SubjectType.ESC.value, owner.esc_id
        elif owner is not None and owner.job_family_id is not None:
            family = session.get(JobFamily, owner.job_family_id)
            kind, name = SubjectType.JOB_FAMILY.value, family.name if family else owner.job_family_id
        family_name = version = None
        if row.job_family_id is not None:
            family = session.get(JobFamily, row.job_family_id)
            family_name = family.name if family else None
        if row.job_id is not None:
            job = session.get(Job, row.job_id)
            if job is not None:
                family_name, version = job.name, job.version
        return PermissionInfo(row.id, kind, name, row.scope, family_name, version, row.endpoint)

    # -- public endpoints ---------------------------------------------------------------------

    def list_public_endpoints(
        self, caller: Subject, job_name: str | None = None, active: bool | None = None
    ) -> list[PublicEndpointInfo]:
        check_staff(caller)
        with self._db.session(readonly=True) as session:
            query = select(PublicEndpointRequest, Job).join(Job, Job.id == PublicEndpointRequest.job_id)
            if job_name:
                query = query.where(Job.name == job_name)
            if active is not None:
                query = query.where(PublicEndpointRequest.active.is_(active))
            query = query.order_by(Job.name, Job.version, PublicEndpointRequest.endpoint)
            return [_public(request, job) for request, job in session.execute(query)]

    def set_public_endpoint_active(
        self, caller: Subject, request_id: str, active: bool
    ) -> PublicEndpointInfo:
        check_staff(caller)
        with self._db.session() as session:
            request = session.get(PublicEndpointRequest, request_id)
            if request is None:
                raise NotFoundError(f"public endpoint request {request_id} does not exist")
            changed = request.active != active
            request.active = active
            job = session.get(Job, request.job_id)
            assert job is not None
            info = _public(request, job)
            if changed:
                audit.record(
                    session,
                    audit.AuditEvent.PUBLIC_ENDPOINT_CHANGED,
                    executor=caller.username,
                    job_name=job.name,
                    job_version=job.version,
                    properties={"endpoint": request.endpoint, "active": active},
                )
        logger.info(
            "public endpoint " + ("activated" if active else "deactivated"),
            job=f"{info.job_name} v{info.job_version}",
            endpoint=info.endpoint,
            by=caller.username,
        )
        return info

    # -- trash ----------------------------------------------------------------------------------

    def list_trash(self, caller: Subject, job_name: str | None = None) -> list[TrashInfo]:
        """Deleted job versions, most recently deleted first."""
        check_staff(caller)
        with self._db.session(readonly=True) as session:
            query = select(TrashJob).order_by(TrashJob.delete_time.desc(), TrashJob.name, TrashJob.version)
            if job_name:
                query = query.where(TrashJob.name == job_name)
            return [
                TrashInfo(
                    id=row.id,
                    name=row.name,
                    version=row.version,
                    status=row.status,
                    deployed_by=row.deployed_by,
                    infrastructure_target=row.infrastructure_target,
                    job_type_version=row.job_type_version,
                    create_time=timestamp(row.create_time) or 0,
                    delete_time=timestamp(row.delete_time) or 0,
                    manifest_yaml=row.manifest_yaml,
                )
                for row in session.scalars(query)
            ]

    # -- maintenance ----------------------------------------------------------------------------

    def maintenance_mode(self, caller: Subject) -> bool:
        check_staff(caller)
        with self._db.session(readonly=True) as session:
            return is_maintenance_mode(session)

    def set_maintenance_mode(self, caller: Subject, enabled: bool) -> bool:
        check_staff(caller)
        with self._db.session() as session:
            if is_maintenance_mode(session) != enabled:
                audit.record(
                    session,
                    audit.AuditEvent.MAINTENANCE_MODE_CHANGED,
                    executor=caller.username,
                    properties={"enabled": enabled},
                )
            set_maintenance_mode(session, enabled)
        logger.warning("maintenance mode " + ("on" if enabled else "off"), by=caller.username)
        return enabled


def _public(request: PublicEndpointRequest, job: Job) -> PublicEndpointInfo:
    return PublicEndpointInfo(request.id, job.name, job.version, request.endpoint, request.active)


def _is(column: Any, value: str | None) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return result
