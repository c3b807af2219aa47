"""Purge scoring with fixed clocks: each penalty, their sum, and properties over any input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from racetrack.lifecycle.services.portfolio import assess_purge
from racetrack.plugins.interfaces import JobStatus

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def score(
    *,
    status: str = JobStatus.RUNNING,
    deployed: float = 100,
    called: float | None = 0,
    newer: int = 0,
) -> float:
    return assess_purge(
        status=status,
        update_time=days_ago(deployed),
        last_call_time=None if called is None else days_ago(called),
        newer_versions=newer,
        now=NOW,
    ).score


def test_a_fresh_busy_job_scores_zero_with_no_reasons() -> None:
    assessment = assess_purge(
        status=JobStatus.RUNNING, update_time=days_ago(0.5), last_call_time=None, newer_versions=0, now=NOW
    )
    assert assessment.score == 0 and assessment.reasons == () and assessment.reasons_text == ""


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"status": JobStatus.LOST}, 50),
        ({"status": JobStatus.ERROR}, 20),
        ({"called": None}, 10),
        ({"called": None, "deployed": 0.9}, 0),  # deployed less than a day ago: idleness ignored
        ({"called": 1}, 0),  # idle for exactly a day: not yet
        ({"called": 15}, 5),
        ({"called": 30}, 10),
        ({"called": 300}, 10),  # clamped
        ({"newer": 1}, 1),
        ({"newer": 5}, 5),
        ({"newer": 12}, 5),  # clamped
        ({"status": JobStatus.LOST, "called": None, "newer": 2}, 62),
    ],
)
def test_each_penalty_follows_the_spec(kwargs: dict[str, Any], expected: float) -> None:
    assert score(**kwargs) == pytest.approx(expected)


def test_reasons_explain_each_penalty_in_order() -> None:
    assessment = assess_purge(
        status=JobStatus.LOST, update_time=days_ago(40), last_call_time=None, newer_versions=3, now=NOW
    )
    assert assessment.reasons == (
        "Job is lost: it no longer runs on its infrastructure target.",
        "Job was never called.",
        "There are 3 newer versions of this job.",
    )
    assert assessment.reasons_text.count("\n") == 2


statuses = st.sampled_from(list(JobStatus))
days = st.floats(min_value=0, max_value=5000, allow_nan=False)


@given(status=statuses, deployed=days, called=st.none() | days, newer=st.integers(0, 100))
def test_score_is_never_negative_and_bounded(
    status: JobStatus, deployed: float, called: float | None, newer: int
) -> None:
    assert 0 <= score(status=status, deployed=deployed, called=called, newer=newer) <= 85


@given(status=statuses, deployed=days, idle=days, more=days, newer=st.integers(0, 10))
def test_score_grows_with_days_idle(
    status: JobStatus, deployed: float, idle: float, more: float, newer: int
) -> None:
    less_idle = score(status=status, deployed=deployed, called=idle, newer=newer)
    more_idle = score(status=status, deployed=deployed, called=idle + more, newer=newer)
    assert more_idle >= less_idle
