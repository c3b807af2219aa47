"""Activity sentences for audit events."""

from __future__ import annotations

import json

from racetrack.lifecycle.db.models import AuditLogEvent
from racetrack.lifecycle.services.audit import explain


def event(kind: str, subject: str | None = None, **properties: str) -> AuditLogEvent:
    return AuditLogEvent(
        event_type=kind,
        username_executor="bob",
        username_subject=subject,
        job_name="adder",
        job_version="1.0.0",
        properties=json.dumps(properties) if properties else None,
    )


def test_explanations_follow_the_spec() -> None:
    assert explain(event("job_deployed")) == "Job adder 1.0.0 deployed by bob"
    assert explain(event("job_redeployed", "alice")) == "Job adder 1.0.0 (owned by alice) redeployed by bob"
    assert explain(event("job_deleted")) == "Job adder 1.0.0 deleted by bob"
    assert explain(event("job_moved", "alice")) == "Job adder 1.0.0 (owned by alice) moved by bob"
    assert explain(event("deployment_failed")) == "Failed deployment of a job adder 1.0.0, attempted by bob"
    installed = event("plugin_installed", plugin_name="docker", plugin_version="1.2.0")
    assert explain(installed) == "Plugin docker 1.2.0 installed by bob"
