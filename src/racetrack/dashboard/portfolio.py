"""The Portfolio tab: every visible job with its removal-candidate assessment.

Sorting, filtering and pagination happen on the server (query string ``sort``, ``dir``,
``q``, ``page``), so every view is a bookmarkable link; the visible columns are kept in a
cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from racetrack.core.errors import RacetrackError
from racetrack.dashboard.csrf import Csrf
from racetrack.dashboard.rendering import redirect, render
from racetrack.dashboard.session import BASE, PageUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.schemas_catalog import PortfolioJob
from racetrack.lifecycle.services.catalog import CatalogService

router = APIRouter()

PAGE_SIZE = 25
COLUMNS_COOKIE = "rt_portfolio_columns"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    default: bool = False
    tooltip: str = ""
    sortable: bool = True


COLUMNS = (
    Column("name", "Family name", True),
    Column("version", "Version", True, "Version of the job: the revision of the job's code."),
    Column("status", "Status", True),
    Column(
        "job_type_version",
        "Job type version",
        True,
        "Version of the job type: the revision of the language wrapper the job runs in.",
    ),
    Column("deployed_by", "Deployed by", True),
    Column("update_time_days_ago", "Last updated ago [days]", True),
    Column("last_call_time_days_ago", "Last called ago [days]", True),
    Column("purge_reasons", "Purge reasons", False, "Why the job is a candidate for removal."),
    Column(
        "purge_score",
        "Purge score",
        False,
        "Penalty points: the higher the score, the better a candidate for removal.",
    ),
    Column(
        "purge_newer_versions", "Newer versions", False, "Versions of the same family newer than this one."
    ),
    Column("last_call_time", "Last call time"),
    Column("update_time", "Update time"),
    Column("create_time", "Creation time"),
    Column("infrastructure_target", "Infrastructure target"),
    Column("actions", "Actions", sortable=False),
)
COLUMN_KEYS = {column.key for column in COLUMNS}
DEFAULT_COLUMNS = [column.key for column in COLUMNS if column.default]


def visible_columns(request: Request, chosen: list[str] | None) -> list[str]:
    """The chosen columns (the form), else the cookie's, else the defaults; in table order."""
    if chosen is None:
        raw = request.cookies.get(COLUMNS_COOKIE)
        chosen = raw.split(",") if raw is not None else DEFAULT_COLUMNS
    wanted = set(chosen)
    return [column.key for column in COLUMNS if column.key in wanted]


def _sort_key(key: str) -> Any:
    def value(job: PortfolioJob) -> tuple[int, Any]:
        item = getattr(job, key, None)
        if item is None or item == "":
            return (1, "")
        return (0, item.lower() if isinstance(item, str) else item)

    return value


def _matches(job: PortfolioJob, needle: str) -> bool:
    fields = (
        job.name,
        job.version,
        job.status,
        job.job_type_version,
        job.deployed_by,
        job.purge_reasons,
        job.infrastructure_target,
    )
    return any(needle in field.lower() for field in fields if field)


def iso_time(value: int | None) -> str:
    """A Unix timestamp as ISO 8601 (UTC), or an empty string."""
    return "" if value is None else datetime.fromtimestamp(value, UTC).isoformat()


@router.get("/portfolio")
def portfolio(
    request: Request,
    user: PageUser,
    state: State,
    sort: Annotated[str, Query()] = "name",
    dir: Annotated[str, Query()] = "asc",
    q: Annotated[str, Query()] = "",
    page: Annotated[int, Query(ge=1)] = 1,
    columns: Annotated[list[str] | None, Query()] = None,
    set_columns: Annotated[str, Query()] = "",
) -> Response:
    """The portfolio table: filter ``q``, sort by ``sort``/``dir``, 25 rows a page."""
    chosen = (columns or []) if set_columns else None
    shown = visible_columns(request, chosen)
    jobs = CatalogService(state.db, state.settings).portfolio(user.subject)
    needle = q.strip().lower()
    if needle:
        jobs = [job for job in jobs if _matches(job, needle)]
    if sort not in COLUMN_KEYS or sort == "actions":
        sort = "name"
    descending = dir == "desc"
    jobs.sort(key=lambda job: (job.name.lower(), job.version))
    jobs.sort(key=_sort_key(sort), reverse=descending)
    if descending:  # keep empty values last either way
        jobs.sort(key=lambda job: getattr(job, sort, None) in (None, ""))
    pages = max(1, -(-len(jobs) // PAGE_SIZE))
    page = min(page, pages)
    rows = jobs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

    def link(**changes: Any) -> str:
        params: dict[str, Any] = {"sort": sort, "dir": "desc" if descending else "asc", "q": q, "page": page}
        params.update(changes)
        return f"{BASE}/portfolio?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    response = render(
        request,
        "portfolio.html",
        title="Portfolio",
        columns=COLUMNS,
        shown=shown,
        rows=rows,
        total=len(jobs),
        sort=sort,
        descending=descending,
        q=q,
        page=page,
        pages=pages,
        link=link,
        iso_time=iso_time,
    )
    if chosen is not None:
        response.set_cookie(
            COLUMNS_COOKIE, ",".join(shown), max_age=365 * 86400, path=BASE, samesite="lax", httponly=True
        )
    return response


@router.post("/portfolio/delete")
def delete_job(
    request: Request,
    user: PageUser,
    state: State,
    _csrf: Csrf,
    name: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    """Delete a job version (the page asks for confirmation first)."""
    try:
        state.jobs.delete_job(user.subject, name, version)
    except RacetrackError as e:
        return redirect(
            request, f"{BASE}/portfolio", f"Job {name} {version} not deleted: {e.message}", "error"
        )
    return redirect(request, f"{BASE}/portfolio", f"Job {name} {version} deleted.")
