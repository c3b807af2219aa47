"""The jobs tree of the Jobs page: the jobs the user may read, filtered and sorted.

``load_jobs`` reads only the columns the tree shows (one query, no ORM objects, the owner
taken from a cached parse of each manifest), so the page stays fast with thousands of jobs;
``build_tree`` filters by keywords and applies one of the four sort orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from urllib.parse import quote

from sqlalchemy import select

from racetrack.core.semver import SemanticVersion
from racetrack.lifecycle.db.models import Job
from racetrack.lifecycle.schemas import parsed_manifest, timestamp
from racetrack.lifecycle.services.auth import Subject
from racetrack.lifecycle.services.permissions import Scope, allowed, check
from racetrack.lifecycle.state import LifecycleState


@dataclass(frozen=True, slots=True)
class JobRow:
    """What the tree shows of a job (and what its filter searches)."""

    id: str
    name: str
    version: str
    status: str
    update_time: int
    deployed_by: str | None = None
    job_type_version: str | None = None
    infrastructure_target: str | None = None
    notice: str | None = None
    owner_email: str = ""

    @property
    def path(self) -> str:
        """``NAME/VERSION`` for ``/dashboard/jobs/NAME/VERSION`` links."""
        return f"{quote(self.name, safe='')}/{quote(self.version, safe='')}"


@lru_cache(maxsize=8192)
def owner_of(manifest_yaml: str | None) -> str:
    """The manifest's ``owner_email`` (empty when missing or unparsable)."""
    value = (parsed_manifest(manifest_yaml) or {}).get("owner_email")
    return str(value) if value else ""


def load_jobs(state: LifecycleState, subject: Subject) -> list[JobRow]:
    """The jobs ``subject`` may read (refused without any ``read_job`` grant, like the API)."""
    check(subject, Scope.READ_JOB)
    columns = (
        Job.id,
        Job.name,
        Job.version,
        Job.status,
        Job.update_time,
        Job.deployed_by,
        Job.job_type_version,
        Job.infrastructure_target,
        Job.notice,
        Job.manifest_yaml,
    )
    with state.db.session(readonly=True) as session:
        rows = session.execute(select(*columns)).all()
    return [
        JobRow(
            id=row.id,
            name=row.name,
            version=row.version,
            status=row.status,
            update_time=timestamp(row.update_time) or 0,
            deployed_by=row.deployed_by,
            job_type_version=row.job_type_version,
            infrastructure_target=row.infrastructure_target,
            notice=row.notice or None,
            owner_email=owner_of(row.manifest_yaml),
        )
        for row in rows
        if allowed(subject, Scope.READ_JOB, row.name, row.version)
    ]


class SortOrder(StrEnum):
    NAME = "name"  # grouped by family, versions newest first
    LATEST_FAMILY = "latest-family"  # grouped, families by most recent update
    LATEST_JOB = "latest-job"  # flat, by update time
    STATUS = "status"  # flat: error first, running last

    @property
    def label(self) -> str:
        return SORT_LABELS[self]

    @property
    def grouped(self) -> bool:
        return self in (SortOrder.NAME, SortOrder.LATEST_FAMILY)


SORT_LABELS = {
    SortOrder.NAME: "Sort by name",
    SortOrder.LATEST_FAMILY: "Sort by latest family",
    SortOrder.LATEST_JOB: "Sort by latest job",
    SortOrder.STATUS: "Sort by status",
}


def parse_sort(value: str | None) -> SortOrder:
    """The sort order named ``value``; the default (by name) for anything unknown."""
    try:
        return SortOrder(value or SortOrder.NAME)
    except ValueError:
        return SortOrder.NAME


@dataclass
class Family:
    """A family node: its name and its (visible, matching) versions in display order."""

    name: str
    jobs: list[JobRow] = field(default_factory=list)

    @property
    def latest_update(self) -> int:
        return max(job.update_time for job in self.jobs)


@dataclass
class JobsTree:
    """What the tree shows: families (grouped orders) or a flat list, and the counts."""

    order: SortOrder
    query: str
    total: int
    families: list[Family]
    flat: list[JobRow]

    @property
    def shown(self) -> int:
        return len(self.flat) if not self.order.grouped else sum(len(f.jobs) for f in self.families)


@lru_cache(maxsize=65536)
def version_key(version: str) -> tuple[int, SemanticVersion | None, str]:
    """Sort key ordering versions oldest first: valid SemVer by precedence, then the rest by text."""
    if SemanticVersion.is_valid(version):
        return (1, SemanticVersion.parse(version), version)
    return (0, None, version)


def _newest_first(jobs: Iterable[JobRow]) -> list[JobRow]:
    valid = [job for job in jobs if version_key(job.version)[1] is not None]
    other = [job for job in jobs if version_key(job.version)[1] is None]
    valid.sort(key=lambda job: version_key(job.version)[1], reverse=True)  # type: ignore[arg-type,return-value]
    other.sort(key=lambda job: job.version, reverse=True)
    return valid + other


def haystack(job: JobRow) -> str:
    """The text the filter searches: name, version, deployer, status, job type, owner, target."""
    fields = (
        job.name,
        job.version,
        job.deployed_by,
        job.status,
        job.job_type_version,
        job.owner_email,
        job.infrastructure_target,
    )
    return "\n".join(value for value in fields if value).lower()


def matches(job: JobRow, keywords: Sequence[str]) -> bool:
    """Whether every keyword (lower case, no spaces) is a substring of one of the job's fields."""
    if not keywords:
        return True
    text = haystack(job)
    return all(keyword in text for keyword in keywords)


def _status_rank(status: str) -> int:
    return 0 if status == "error" else 2 if status == "running" else 1


def build_tree(jobs: Sequence[JobRow], order: SortOrder, query: str = "") -> JobsTree:
    """Filter ``jobs`` by the whitespace-separated keywords of ``query`` and sort them by ``order``."""
    keywords = query.lower().split()
    shown = [job for job in jobs if matches(job, keywords)]
    tree = JobsTree(order=order, query=query, total=len(jobs), families=[], flat=[])
    if order.grouped:
        by_name: dict[str, Family] = {}
        for job in shown:
            by_name.setdefault(job.name, Family(job.name)).jobs.append(job)
        families = list(by_name.values())
        for family in families:
            family.jobs = _newest_first(family.jobs)
        if order == SortOrder.NAME:
            families.sort(key=lambda family: (family.name.lower(), family.name))
        else:
            families.sort(key=lambda family: (-family.latest_update, family.name.lower()))
        tree.families = families
    elif order == SortOrder.LATEST_JOB:
        tree.flat = sorted(shown, key=lambda job: (-job.update_time, job.name.lower(), job.version))
    else:
        # ties: name ascending, then version newest first (stable sorts, least significant first)
        flat = _newest_first(shown)
        flat.sort(key=lambda job: (_status_rank(job.status), job.name.lower()))
        tree.flat = flat
    return tree
