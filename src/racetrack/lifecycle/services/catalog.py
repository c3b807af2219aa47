"""Read-only views over the job registry: families, the call graph and the portfolio.

Every view shows only what the caller may read, by the rule of ``GET /job``
(auth-and-permissions.md §5): a job is visible when ``read_job`` covers it; a family is
visible when a global or family-wide ``read_job`` grant covers it, or when one of its jobs is
visible. Each method first refuses callers holding no ``read_job`` grant at all.

Graph: ESC nodes and ESC edges are shown only to staff (an active staff user, or a token with
``call_admin_api``); other callers see family → family edges between visible families.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from racetrack.core.semver import SemanticVersion
from racetrack.lifecycle.db import Database
from racetrack.lifecycle.db.models import AuthResourcePermission, AuthSubject, Esc, Job, JobFamily, now
from racetrack.lifecycle.schemas import job_dto
from racetrack.lifecycle.schemas_catalog import (
    GraphEdge,
    GraphNode,
    GraphNodeType,
    JobFamilyDto,
    JobGraph,
    PortfolioJob,
)
from racetrack.lifecycle.services.auth import Subject
from racetrack.lifecycle.services.permissions import Scope, allowed, check, is_staff
from racetrack.lifecycle.services.portfolio import assess_purge, days_between
from racetrack.lifecycle.settings import LifecycleSettings


def family_node_id(name: str) -> str:
    return f"job-family-{name}"


def esc_node_id(esc_id: str) -> str:
    return f"esc-{esc_id}"


def _visible_jobs(session: Session, subject: Subject) -> list[Job]:
    jobs = session.scalars(select(Job).order_by(Job.name, Job.create_time, Job.version)).all()
    return [job for job in jobs if allowed(subject, Scope.READ_JOB, job.name, job.version)]


def _visible_families(session: Session, subject: Subject, visible_jobs: Sequence[Job]) -> list[JobFamily]:
    with_jobs = {job.family_id for job in visible_jobs}
    families = session.scalars(select(JobFamily).order_by(JobFamily.name)).all()
    return [
        family
        for family in families
        if family.id in with_jobs or allowed(subject, Scope.READ_JOB, family.name, None)
    ]


def _newer_count(version: str, others: Sequence[str]) -> int:
    if not SemanticVersion.is_valid(version):
        return 0
    mine = SemanticVersion.parse(version)
    return sum(
        1 for other in others if SemanticVersion.is_valid(other) and SemanticVersion.parse(other) > mine
    )


class CatalogService:
    """Job families, the dependencies graph and the portfolio, filtered by ``read_job``."""

    def __init__(self, db: Database, settings: LifecycleSettings) -> None:
        self._db = db
        self._settings = settings

    def job_families(self, subject: Subject) -> list[JobFamilyDto]:
        """Families the subject may read (at least one job, or the family as a whole), by name."""
        check(subject, Scope.READ_JOB)
        with self._db.session(readonly=True) as session:
            families = _visible_families(session, subject, _visible_jobs(session, subject))
            return [JobFamilyDto(id=family.id, name=family.name) for family in families]

    def graph(self, subject: Subject) -> JobGraph:
        """Who may call whom: ESC and family nodes, an edge per ``call_job`` reach.

        An edge ``A → F`` means A holds ``call_job`` (or ``full_access``) on some job of F: a
        grant on all jobs reaches every family, one on a family that family, one on a job or an
        endpoint that job's family. Users' grants are not drawn.
        """
        check(subject, Scope.READ_JOB)
        show_escs = is_staff(subject)
        with self._db.session(readonly=True) as session:
            jobs = _visible_jobs(session, subject)
            families = _visible_families(session, subject, jobs)
            names = {family.id: family.name for family in families}
            jobs_of: dict[str, list[Job]] = defaultdict(list)
            for job in jobs:
                jobs_of[job.family_id].append(job)
            nodes = [
                GraphNode(
                    id=family_node_id(family.name),
                    type=GraphNodeType.JOB_FAMILY,
                    title=f"Job family: {family.name}",
                    subtitle="\n".join(
                        f"{job.name} v{job.version}: {job_dto(job, self._settings.external_pub_url).pub_url}"
                        for job in jobs_of[family.id]
                    ),
                )
                for family in families
            ]
            escs = session.scalars(select(Esc).order_by(Esc.name, Esc.id)).all() if show_escs else []
            nodes += [
                GraphNode(
                    id=esc_node_id(esc.id),
                    type=GraphNodeType.ESC,
                    title=f"ESC: {esc.name}",
                    subtitle=f"ID: {esc.id}",
                )
                for esc in escs
            ]
            edges = self._edges(session, names, {esc.id for esc in escs})
        return JobGraph(nodes=nodes, edges=edges)

    @staticmethod
    def _edges(session: Session, families: dict[str, str], escs: set[str]) -> list[GraphEdge]:
        """Edges between the given nodes (family id → name, ESC ids) from ``call_job`` grants."""
        rows = session.execute(
            select(AuthResourcePermission, AuthSubject)
            .join(AuthSubject, AuthSubject.id == AuthResourcePermission.subject_id)
            .where(AuthResourcePermission.scope.in_([Scope.CALL_JOB.value, Scope.FULL_ACCESS.value]))
        ).all()
        job_families = {
            job_id: family_id for job_id, family_id in session.execute(select(Job.id, Job.family_id))
        }
        edges: set[tuple[str, str]] = set()
        for permission, owner in rows:
            if owner.esc_id is not None and owner.esc_id in escs:
                source = esc_node_id(owner.esc_id)
            elif owner.job_family_id is not None and owner.job_family_id in families:
                source = family_node_id(families[owner.job_family_id])
            else:
                continue
            if permission.job_id is not None:
                target_ids = [job_families.get(permission.job_id, "")]
            elif permission.job_family_id is not None:
                target_ids = [permission.job_family_id]
            else:
                target_ids = list(families)
            edges.update(
                (source, family_node_id(families[target])) for target in target_ids if target in families
            )
        return [GraphEdge(from_id=source, to_id=target) for source, target in sorted(edges)]

    def portfolio(self, subject: Subject, at: datetime | None = None) -> list[PortfolioJob]:
        """Visible jobs with their purge assessment, best removal candidates first.

        ``purge_newer_versions`` counts newer versions among the jobs the subject may read.
        ``at`` is the moment to judge idleness at (default: now).
        """
        check(subject, Scope.READ_JOB)
        moment = at or now()
        with self._db.session(readonly=True) as session:
            jobs = _visible_jobs(session, subject)
            versions: dict[str, list[str]] = defaultdict(list)
            for job in jobs:
                versions[job.family_id].append(job.version)
            rows: list[PortfolioJob] = []
            for job in jobs:
                newer = _newer_count(job.version, versions[job.family_id])
                assessment = assess_purge(
                    status=job.status,
                    update_time=job.update_time,
                    last_call_time=job.last_call_time,
                    newer_versions=newer,
                    now=moment,
                )
                rows.append(
                    PortfolioJob(
                        **job_dto(job, self._settings.external_pub_url).model_dump(),
                        purge_score=assessment.score,
                        purge_reasons=assessment.reasons_text,
                        purge_newer_versions=newer,
                        update_time_days_ago=round(days_between(job.update_time, moment), 3),
                        last_call_time_days_ago=(
                            None
                            if job.last_call_time is None
                            else round(days_between(job.last_call_time, moment), 3)
                        ),
                    )
                )
        rows.sort(key=lambda row: (-row.purge_score, row.name, row.version))
        return rows
