"""The activity record: who deployed, redeployed or deleted which job, failed deployments, and
who changed permissions, accounts, ESCs, public endpoints and maintenance mode."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from racetrack.core.errors import AuthenticationError
from racetrack.core.humanize import time_ago
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import AuditLogEvent
from racetrack.lifecycle.services.auth import Subject, SubjectKind

EVENTS_LIMIT = 100
"""Every activity query answers at most this many events, newest first."""
TRUTHY = frozenset({"true", "yes", "1"})


class AuditEvent(StrEnum):
    JOB_DEPLOYED = "job_deployed"
    JOB_REDEPLOYED = "job_redeployed"
    JOB_DELETED = "job_deleted"
    JOB_MOVED = "job_moved"
    DEPLOYMENT_FAILED = "deployment_failed"
    PLUGIN_INSTALLED = "plugin_installed"
    PLUGIN_UNINSTALLED = "plugin_uninstalled"
    PERMISSION_GRANTED = "permission_granted"
    PERMISSION_REVOKED = "permission_revoked"
    USER_REGISTERED = "user_registered"
    USER_CHANGED = "user_changed"
    ESC_CREATED = "esc_created"
    ESC_CHANGED = "esc_changed"
    PUBLIC_ENDPOINT_CHANGED = "public_endpoint_changed"
    MAINTENANCE_MODE_CHANGED = "maintenance_mode_changed"


# Events about jobs and plugins, shown to every user; the others are administration events.
PUBLIC_EVENTS = (
    AuditEvent.JOB_DEPLOYED,
    AuditEvent.JOB_REDEPLOYED,
    AuditEvent.JOB_DELETED,
    AuditEvent.JOB_MOVED,
    AuditEvent.DEPLOYMENT_FAILED,
    AuditEvent.PLUGIN_INSTALLED,
    AuditEvent.PLUGIN_UNINSTALLED,
    AuditEvent.PUBLIC_ENDPOINT_CHANGED,
)


def resource_text(job_family: str | None, job_version: str | None, endpoint: str | None) -> str:
    """What a grant covers, in words: "all jobs", "job family F", "endpoint /x of job F 1.0.0"."""
    if job_family is None:
        target = "all jobs"
    elif job_version is None:
        target = f"job family {job_family}"
    else:
        target = f"job {job_family} {job_version}"
    return f"endpoint {endpoint} of {target}" if endpoint else target


def record_permission(
    session: Session,
    granted: bool,
    *,
    executor: str | None,
    subject_type: str,
    subject: str,
    scope: str,
    job_family: str | None = None,
    job_version: str | None = None,
    endpoint: str | None = None,
) -> None:
    """A grant given or taken back; the job fields are set so the job's activity shows it."""
    record(
        session,
        AuditEvent.PERMISSION_GRANTED if granted else AuditEvent.PERMISSION_REVOKED,
        executor=executor,
        subject=subject if subject_type == "user" else None,
        job_name=job_family,
        job_version=job_version,
        properties={
            "subject_type": subject_type,
            "subject": subject,
            "scope": scope,
            "resource": resource_text(job_family, job_version, endpoint),
        },
    )


def record(
    session: Session,
    event_type: AuditEvent,
    *,
    executor: str | None,
    subject: str | None = None,
    job_name: str | None = None,
    job_version: str | None = None,
    properties: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLogEvent(
            event_type=str(event_type),
            username_executor=executor,
            username_subject=subject,
            job_name=job_name,
            job_version=job_version,
            properties=json.dumps(properties) if properties else None,
        )
    )


def explain(event: AuditLogEvent) -> str:
    """The sentence the Activity view shows for an event."""
    executor = event.username_executor or "anonymous"
    job = f"{event.job_name} {event.job_version}"
    owner = f" (owned by {event.username_subject})" if event.username_subject else ""
    properties = json.loads(event.properties) if event.properties else {}
    match event.event_type:
        case AuditEvent.JOB_DEPLOYED:
            return f"Job {job} deployed by {executor}"
        case AuditEvent.JOB_REDEPLOYED | AuditEvent.JOB_DELETED | AuditEvent.JOB_MOVED:
            verb = event.event_type.removeprefix("job_")
            return f"Job {job}{owner} {verb} by {executor}"
        case AuditEvent.DEPLOYMENT_FAILED:
            return f"Failed deployment of a job {job}, attempted by {executor}"
        case AuditEvent.PLUGIN_INSTALLED | AuditEvent.PLUGIN_UNINSTALLED:
            verb = event.event_type.removeprefix("plugin_")
            plugin = f"{properties.get('plugin_name')} {properties.get('plugin_version')}"
            return f"Plugin {plugin} {verb} by {executor}"
        case AuditEvent.PERMISSION_GRANTED | AuditEvent.PERMISSION_REVOKED:
            direction = "granted to" if event.event_type == AuditEvent.PERMISSION_GRANTED else "revoked from"
            who = f"{str(properties.get('subject_type', '')).replace('_', ' ')} {properties.get('subject')}"
            return (
                f"Permission {properties.get('scope')} on {properties.get('resource')} "
                f"{direction} {who} by {executor}"
            )
        case AuditEvent.USER_REGISTERED:
            return f"User {event.username_subject} registered"
        case AuditEvent.USER_CHANGED:
            changes = ", ".join(properties.get("changes") or ["changed"])
            return f"User {event.username_subject} {changes} by {executor}"
        case AuditEvent.ESC_CREATED:
            return f"ESC {properties.get('esc_name')} ({properties.get('esc_id')}) created by {executor}"
        case AuditEvent.ESC_CHANGED:
            changes = ", ".join(properties.get("changes") or ["changed"])
            return f"ESC {properties.get('esc_name')} ({properties.get('esc_id')}) {changes} by {executor}"
        case AuditEvent.PUBLIC_ENDPOINT_CHANGED:
            state = "activated" if properties.get("active") else "deactivated"
            return f"Public endpoint {properties.get('endpoint')} of job {job} {state} by {executor}"
        case AuditEvent.MAINTENANCE_MODE_CHANGED:
            return f"Maintenance mode turned {'on' if properties.get('enabled') else 'off'} by {executor}"
    return f"{event.event_type} by {executor}"


def is_truthy(value: str | None) -> bool:
    """``related_to_me``-style flags: ``true``, ``yes`` and ``1`` (any case) mean yes."""
    return value is not None and value.strip().lower() in TRUTHY


@dataclass(frozen=True)
class EventFilter:
    job_name: str | None = None
    job_version: str | None = None
    related_to: str | None = None  # a username: events it executed or that concern it
    only_related: bool = False
    # Administration events (accounts, ESCs, grants, maintenance) are shown to staff; others
    # see only those they executed or that concern them.
    staff: bool = True


def username_of(subject: Subject, auth_required: bool) -> str | None:
    """The caller's username for the activity views, which need a user's token.

    With ``auth_required`` off an anonymous caller is let in (it has no username).
    """
    if subject.kind == SubjectKind.USER:
        return subject.name
    if subject.kind == SubjectKind.ANONYMOUS and not auth_required:
        return None
    raise AuthenticationError("wrong subject type to do this operation: a user's token is required")


def event_view(event: AuditLogEvent, now: float | None = None) -> dict[str, Any]:
    """An event as the API answers it: its fields, the sentence and how long ago it happened."""
    moment = int(event.timestamp.timestamp())
    try:
        properties = json.loads(event.properties) if event.properties else None
    except ValueError:
        properties = None
    return {
        "id": event.id,
        "version": event.version,
        "timestamp": moment,
        "event_type": event.event_type,
        "properties": properties,
        "username_executor": event.username_executor,
        "username_subject": event.username_subject,
        "job_name": event.job_name,
        "job_version": event.job_version,
        "explanation": explain(event),
        "time_ago": time_ago(moment, time.time() if now is None else now),
    }


def list_events(db: Database, criteria: EventFilter, limit: int = EVENTS_LIMIT) -> list[dict[str, Any]]:
    """The newest matching events (at most ``limit``), newest first."""
    query = select(AuditLogEvent)
    if criteria.job_name:
        query = query.where(AuditLogEvent.job_name == criteria.job_name)
    if criteria.job_version:
        query = query.where(AuditLogEvent.job_version == criteria.job_version)
    if criteria.only_related:
        if criteria.related_to is None:
            return []
        query = query.where(
            or_(
                AuditLogEvent.username_executor == criteria.related_to,
                AuditLogEvent.username_subject == criteria.related_to,
            )
        )
    if not criteria.staff:
        own = (
            [
                AuditLogEvent.username_executor == criteria.related_to,
                AuditLogEvent.username_subject == criteria.related_to,
            ]
            if criteria.related_to
            else []
        )
        query = query.where(or_(AuditLogEvent.event_type.in_(PUBLIC_EVENTS), *own))
    query = query.order_by(AuditLogEvent.timestamp.desc(), AuditLogEvent.id.desc()).limit(limit)
    now = time.time()
    with db.session(readonly=True) as session:
        return [event_view(event, now) for event in session.scalars(query)]
