"""The activity record: who deployed, redeployed or deleted which job, and failed deployments."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from racetrack.lifecycle.db.models import AuditLogEvent


class AuditEvent(StrEnum):
    JOB_DEPLOYED = "job_deployed"
    JOB_REDEPLOYED = "job_redeployed"
    JOB_DELETED = "job_deleted"
    JOB_MOVED = "job_moved"
    DEPLOYMENT_FAILED = "deployment_failed"
    PLUGIN_INSTALLED = "plugin_installed"
    PLUGIN_UNINSTALLED = "plugin_uninstalled"


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
    return f"{event.event_type} by {executor}"
