"""Activity sentences for audit events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from racetrack.core.errors import AuthenticationError
from racetrack.lifecycle.db.models import AuditLogEvent
from racetrack.lifecycle.services.audit import event_view, explain, is_truthy, username_of
from racetrack.lifecycle.services.auth import ANONYMOUS, Subject, SubjectKind


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


def test_owner_part_is_omitted_when_unknown_and_executor_defaults_to_anonymous() -> None:
    redeployed = event("job_redeployed")
    assert explain(redeployed) == "Job adder 1.0.0 redeployed by bob"
    redeployed.username_executor = None
    assert explain(redeployed) == "Job adder 1.0.0 redeployed by anonymous"
    uninstalled = event("plugin_uninstalled", plugin_name="docker", plugin_version="1.2.0")
    assert explain(uninstalled) == "Plugin docker 1.2.0 uninstalled by bob"


def test_related_to_me_flag_values() -> None:
    assert all(is_truthy(value) for value in ("true", "yes", "1", "True", " YES "))
    assert not any(is_truthy(value) for value in (None, "", "false", "no", "0", "on"))


def test_event_view_has_the_fields_the_sentence_and_the_age() -> None:
    moment = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    row = event("job_deleted", "alice", deployment_id="d1")
    row.id, row.version, row.timestamp = "e1", 1, moment
    view = event_view(row, now=moment.timestamp() + 300)
    assert view == {
        "id": "e1",
        "version": 1,
        "timestamp": int(moment.timestamp()),
        "event_type": "job_deleted",
        "properties": {"deployment_id": "d1"},
        "username_executor": "bob",
        "username_subject": "alice",
        "job_name": "adder",
        "job_version": "1.0.0",
        "explanation": "Job adder 1.0.0 (owned by alice) deleted by bob",
        "time_ago": "5 minutes ago",
    }


def test_activity_needs_a_user_unless_auth_is_off() -> None:
    assert username_of(Subject(SubjectKind.USER, "bob"), auth_required=True) == "bob"
    assert username_of(ANONYMOUS, auth_required=False) is None
    with pytest.raises(AuthenticationError, match="user's token is required"):
        username_of(ANONYMOUS, auth_required=True)
    with pytest.raises(AuthenticationError):
        username_of(Subject(SubjectKind.ESC, "robot"), auth_required=False)
