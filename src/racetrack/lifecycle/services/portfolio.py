"""Purge scoring: how good a candidate for removal a job version is (lifecycle-api.md §11.2).

Penalty points, added up: lost 50, error 20; once deployed at least a day ago, never called
10, else 10 × min(days since the last call / 30, 1) when idle for more than a day; newer
versions in the family 5 × min(count / 5, 1). ``purge_score`` is their sum (upstream: the
negated sum of negative points), so a higher score means a better candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from racetrack.plugins.interfaces import JobStatus

DAY_SECONDS = 24 * 3600
LOST_PENALTY = 50.0
ERROR_PENALTY = 20.0
IDLE_PENALTY = 10.0
IDLE_DAYS_FOR_FULL_PENALTY = 30.0
NEWER_VERSIONS_PENALTY = 5.0
NEWER_VERSIONS_FOR_FULL_PENALTY = 5.0


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds() / DAY_SECONDS


@dataclass(frozen=True)
class PurgeAssessment:
    score: float
    reasons: tuple[str, ...]

    @property
    def reasons_text(self) -> str:
        return "\n".join(self.reasons)


def assess_purge(
    *,
    status: str,
    update_time: datetime,
    last_call_time: datetime | None,
    newer_versions: int,
    now: datetime,
) -> PurgeAssessment:
    """Score one job version at the moment ``now`` (pure: no clock, no database)."""
    penalties: list[tuple[float, str]] = []
    if status == JobStatus.LOST:
        penalties.append((LOST_PENALTY, "Job is lost: it no longer runs on its infrastructure target."))
    if status == JobStatus.ERROR:
        penalties.append((ERROR_PENALTY, "Job is failing (status error)."))
    if days_between(update_time, now) >= 1:
        if last_call_time is None:
            penalties.append((IDLE_PENALTY, "Job was never called."))
        else:
            idle_days = days_between(last_call_time, now)
            if idle_days > 1:
                penalties.append(
                    (
                        IDLE_PENALTY * _clamp(idle_days / IDLE_DAYS_FOR_FULL_PENALTY),
                        f"Job was not called for {idle_days:.0f} days.",
                    )
                )
    if newer_versions > 0:
        penalties.append(
            (
                NEWER_VERSIONS_PENALTY * _clamp(newer_versions / NEWER_VERSIONS_FOR_FULL_PENALTY),
                f"There {'is' if newer_versions == 1 else 'are'} {newer_versions} newer "
                f"version{'' if newer_versions == 1 else 's'} of this job.",
            )
        )
    return PurgeAssessment(
        score=round(sum(points for points, _ in penalties), 3),
        reasons=tuple(reason for _, reason in penalties),
    )
