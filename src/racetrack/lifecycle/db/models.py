"""Lifecycle's tables as typed SQLAlchemy models.

Schema changes go through a new numbered migration in ``migrations/versions``; a test
checks that these models and the migrations describe the same schema.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


class JobFamily(Base):
    """All versions of a job name; owns the auth subject whose token jobs use for chain calls."""

    __tablename__ = "job_family"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    create_time: Mapped[datetime] = mapped_column(default=now)


class Job(Base):
    """A deployed job version (name + version)."""

    __tablename__ = "job"
    __table_args__ = (UniqueConstraint("name", "version", name="name_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(255))
    family_id: Mapped[str] = mapped_column(ForeignKey("job_family.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    create_time: Mapped[datetime] = mapped_column(default=now)
    update_time: Mapped[datetime] = mapped_column(default=now, index=True)
    manifest_yaml: Mapped[str] = mapped_column(Text, default="")
    internal_name: Mapped[str | None] = mapped_column(String(255))
    replica_internal_names: Mapped[str] = mapped_column(Text, default="")  # comma-joined
    error: Mapped[str | None] = mapped_column(Text)
    notice: Mapped[str | None] = mapped_column(Text)
    image_tag: Mapped[str | None] = mapped_column(String(255))
    deployed_by: Mapped[str | None] = mapped_column(String(255))
    last_call_time: Mapped[datetime | None] = mapped_column()
    infrastructure_target: Mapped[str | None] = mapped_column(String(255))
    job_type_version: Mapped[str | None] = mapped_column(String(255))
    infrastructure_stats: Mapped[str | None] = mapped_column(Text)  # JSON object
    deployment_id: Mapped[str | None] = mapped_column(String(36))  # the deployment now serving


class Deployment(Base):
    """One attempt to build and provision a job version."""

    __tablename__ = "deployment"
    __table_args__ = (Index("ix_deployment_job_name_version", "job_name", "job_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(16), index=True)  # in_progress | done | failed
    # deploy | redeploy (rebuild from the stored manifest) | reprovision (the running artifact)
    kind: Mapped[str] = mapped_column(String(16), default="deploy", server_default="deploy")
    create_time: Mapped[datetime] = mapped_column(default=now)
    update_time: Mapped[datetime] = mapped_column(default=now, index=True)
    manifest_yaml: Mapped[str] = mapped_column(Text, default="")
    job_name: Mapped[str] = mapped_column(String(255))
    job_version: Mapped[str] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    deployed_by: Mapped[str | None] = mapped_column(String(255))
    phase: Mapped[str | None] = mapped_column(String(255))
    image_name: Mapped[str | None] = mapped_column(Text)
    infrastructure_target: Mapped[str | None] = mapped_column(String(255))
    warnings: Mapped[str | None] = mapped_column(Text)
    build_logs: Mapped[str | None] = mapped_column(Text)  # copied from the log file when finished
    force: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str | None] = mapped_column(String(64), index=True)  # instance id of the worker
    start_time: Mapped[datetime | None] = mapped_column()  # claimed by the worker
    heartbeat_time: Mapped[datetime | None] = mapped_column()
    subject_id: Mapped[str | None] = mapped_column(String(36))  # the deployer's auth subject
    secrets_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)  # cleared when finished
    # the uploaded source; kept on the deployment a job runs from (for redeploys), else cleared
    build_context: Mapped[bytes | None] = mapped_column(LargeBinary)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    create_time: Mapped[datetime] = mapped_column(default=now)
    last_login_time: Mapped[datetime | None] = mapped_column()


class Esc(Base):
    """External Service Consumer: a system calling jobs with its own token."""

    __tablename__ = "esc"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    create_time: Mapped[datetime] = mapped_column(default=now)


class AuthSubject(Base):
    """An identity holding tokens: exactly one of a user, an ESC or a job family."""

    __tablename__ = "auth_subject"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN esc_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN job_family_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    esc_id: Mapped[str | None] = mapped_column(ForeignKey("esc.id", ondelete="CASCADE"), unique=True)
    job_family_id: Mapped[str | None] = mapped_column(
        ForeignKey("job_family.id", ondelete="CASCADE"), unique=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    expiry_time: Mapped[datetime | None] = mapped_column()
    create_time: Mapped[datetime] = mapped_column(default=now)


class AuthToken(Base):
    """A token of a subject: SHA-256 hash for lookup, Fernet-encrypted copy for its owner."""

    __tablename__ = "auth_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    subject_id: Mapped[str] = mapped_column(ForeignKey("auth_subject.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    hint: Mapped[str] = mapped_column(String(16))  # the prefix and first characters, for display
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    expiry_time: Mapped[datetime | None] = mapped_column()
    create_time: Mapped[datetime] = mapped_column(default=now)
    last_use_time: Mapped[datetime | None] = mapped_column()


class AuthResourcePermission(Base):
    """A grant: SUBJECT may SCOPE on all jobs, a family, a job, optionally one endpoint."""

    __tablename__ = "auth_resource_permission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("auth_subject.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(32))
    job_family_id: Mapped[str | None] = mapped_column(ForeignKey("job_family.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    endpoint: Mapped[str | None] = mapped_column(String(255))


class PublicEndpointRequest(Base):
    """A request to open a job endpoint without auth; an admin approves it by activating it."""

    __tablename__ = "public_endpoint_request"
    __table_args__ = (UniqueConstraint("job_id", "endpoint", name="job_endpoint"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class TrashJob(Base):
    """A deleted job version; keeps its name+version claimed (``--force`` overrides)."""

    __tablename__ = "trash_job"
    __table_args__ = (Index("ix_trash_job_name_version", "name", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    create_time: Mapped[datetime] = mapped_column()
    update_time: Mapped[datetime] = mapped_column()
    delete_time: Mapped[datetime] = mapped_column(default=now)
    manifest_yaml: Mapped[str] = mapped_column(Text, default="")
    internal_name: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    image_tag: Mapped[str | None] = mapped_column(String(255))
    deployed_by: Mapped[str | None] = mapped_column(String(255))
    last_call_time: Mapped[datetime | None] = mapped_column()
    infrastructure_target: Mapped[str | None] = mapped_column(String(255))
    job_type_version: Mapped[str | None] = mapped_column(String(255))


class AuditLogEvent(Base):
    __tablename__ = "audit_log_event"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    version: Mapped[int] = mapped_column(Integer, default=1)
    timestamp: Mapped[datetime] = mapped_column(default=now, index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    properties: Mapped[str | None] = mapped_column(Text)  # JSON object
    username_executor: Mapped[str | None] = mapped_column(String(255), index=True)
    username_subject: Mapped[str | None] = mapped_column(String(255))
    job_name: Mapped[str | None] = mapped_column(String(255), index=True)
    job_version: Mapped[str | None] = mapped_column(String(255), index=True)


class Setting(Base):
    """A runtime setting (``maintenance_mode``...) with a JSON value."""

    __tablename__ = "setting"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)  # JSON


class LoginFailure(Base):
    """One failed login, counted against its username and against its client address."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_kind_key_failed_at", "kind", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))  # "user" or "client"
    key: Mapped[str] = mapped_column(String(255))  # the username or the client address
    failed_at: Mapped[datetime] = mapped_column(index=True)
