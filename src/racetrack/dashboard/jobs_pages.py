"""The Jobs page: the jobs tree, a job's details, its logs, manifest editing and actions.

``/dashboard/`` shows the tree (``?sort=`` and ``?q=`` make bookmarkable views; the sort is
also remembered in a cookie); ``/dashboard/jobs/N/V`` shows the same page with the job's
details in the right pane (htmx loads only the pane). Every call goes through the services
with the user's Subject, so the tree holds only jobs the user may read.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from racetrack.core.errors import InvalidInputError, NotFoundError, PermissionDeniedError, RacetrackError
from racetrack.dashboard.csrf import Csrf
from racetrack.dashboard.highlight import highlight_yaml
from racetrack.dashboard.jobs_tree import SORT_LABELS, SortOrder, build_tree, load_jobs, parse_sort
from racetrack.dashboard.rendering import is_htmx, redirect, render, toast
from racetrack.dashboard.session import BASE, PageSession, PageUser
from racetrack.dashboard.streams import follow_lines
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.schemas import JobDto
from racetrack.lifecycle.services.deployments import DeploymentKind
from racetrack.lifecycle.services.jobs import strip_ansi
from racetrack.lifecycle.state import LifecycleState

router = APIRouter()

SORT_COOKIE = "rt_jobs_sort"
LOG_TAIL = 500
GRAFANA_PATH = "/d/KZoFMs_nz/jobs?orgId=1"
REDEPLOY_QUESTIONS = {
    DeploymentKind.REDEPLOY: 'Do you really want to redeploy the job "{n} {v}" (rebuild it and reprovision)?',
    DeploymentKind.REPROVISION: (
        'Do you really want to reprovision the job "{n} {v}" (deploy it without rebuilding)?'
    ),
}


class ForbiddenError(RacetrackError):
    """The user lacks the permission for an action (a 403 page or error toast)."""

    status_code = 403


@contextmanager
def _hidden_as_not_found(name: str, version: str) -> Iterator[None]:
    """A job the user may not read looks like a missing one (its existence is not revealed)."""
    try:
        yield
    except PermissionDeniedError:
        raise NotFoundError(f"job {name} v{version} was not found") from None


@contextmanager
def _denied_as_forbidden() -> Iterator[None]:
    try:
        yield
    except PermissionDeniedError as e:
        raise ForbiddenError(e.message) from None


def job_url(name: str, version: str) -> str:
    return f"{BASE}/jobs/{quote(name, safe='')}/{quote(version, safe='')}"


def grafana_url(state: LifecycleState, job: JobDto) -> str | None:
    base = state.settings.external_grafana_url
    if not base:
        return None
    query = urlencode({"var-job_name": job.name, "var-job_version": job.version})
    return f"{base.rstrip('/')}{GRAFANA_PATH}&{query}"


def _tree_context(
    request: Request, state: LifecycleState, user: PageSession, sort: str | None, q: str
) -> dict[str, Any]:
    order = parse_sort(sort or request.cookies.get(SORT_COOKIE))
    tree = build_tree(load_jobs(state, user.subject), order, q.strip())
    return {"tree": tree, "sort_labels": SORT_LABELS, "sort": order.value, "q": q.strip()}


def _home_url(sort: str, q: str) -> str:
    params = {key: value for key, value in (("sort", sort), ("q", q)) if value and value != SortOrder.NAME}
    return f"{BASE}/" + (f"?{urlencode(params)}" if params else "")


def _remember_sort(response: Response, sort: str | None) -> Response:
    if sort:
        response.set_cookie(
            SORT_COOKIE, parse_sort(sort).value, max_age=365 * 86400, path=BASE, samesite="lax"
        )
    return response


def detail_context(state: LifecycleState, user: PageSession, name: str, version: str) -> dict[str, Any]:
    with _hidden_as_not_found(name, version):
        job = state.jobs.get_job(user.subject, name, version)
    labels = (job.manifest or {}).get("labels") or {}
    return {
        "job": job,
        "job_url": job_url(job.name, job.version),
        "labels": labels if isinstance(labels, dict) else {},
        "manifest_html": highlight_yaml(job.manifest_yaml),
        "grafana_url": grafana_url(state, job),
        "questions": {
            kind.value: q.format(n=job.name, v=job.version) for kind, q in REDEPLOY_QUESTIONS.items()
        },
    }


@router.get("/")
def jobs_page(
    request: Request, user: PageUser, state: State, sort: str | None = None, q: str = ""
) -> Response:
    """The jobs tree (and an empty details pane)."""
    context = _tree_context(request, state, user, sort, q)
    return _remember_sort(render(request, "jobs.html", title="Jobs", job=None, **context), sort)


@router.get("/jobs-tree")
def jobs_tree(
    request: Request, user: PageUser, state: State, sort: str | None = None, q: str = ""
) -> Response:
    """The tree alone (htmx swaps it on filter input, sort changes and live updates)."""
    context = _tree_context(request, state, user, sort, q)
    response = render(request, "_jobs_tree.html", **context)
    response.headers["HX-Replace-Url"] = _home_url(context["sort"], context["q"])
    return _remember_sort(response, sort)


@router.get("/jobs/{name}/{version}")
def job_detail(request: Request, user: PageUser, state: State, name: str, version: str) -> Response:
    """A job's details: the right pane (htmx) or the whole Jobs page with this job selected."""
    detail = detail_context(state, user, name, version)
    if is_htmx(request) and request.headers.get("HX-Target") == "job-pane":
        return render(request, "_job_detail.html", **detail)
    context = _tree_context(request, state, user, None, "")
    return render(
        request, "jobs.html", title=f"{detail['job'].name} {detail['job'].version}", **context, **detail
    )


@router.post("/jobs/{name}/{version}/delete")
def delete_job(
    request: Request, user: PageUser, state: State, _csrf: Csrf, name: str, version: str
) -> Response:
    with _hidden_as_not_found(name, version):
        state.jobs.get_job(user.subject, name, version)
    with _denied_as_forbidden():
        state.jobs.delete_job(user.subject, name, version)
    return redirect(request, f"{BASE}/", f"Job {name} {version} deleted.")


def _start_redeploy(
    request: Request, state: LifecycleState, user: PageSession, name: str, version: str, kind: DeploymentKind
) -> Response:
    with _denied_as_forbidden():
        deployment_id = state.deployments.redeploy(user.subject, name, version, kind)
    if not is_htmx(request):
        return redirect(
            request, f"{BASE}/deployments/{deployment_id}", f"Job {name} {version}: {kind} requested."
        )
    deployment = state.deployments.get(user.subject, deployment_id)
    response = render(request, "_deployment_progress.html", deployment=deployment, in_job_pane=True)
    return toast(request, response, f"Job {name} {version}: {kind} requested.", "info")


@router.post("/jobs/{name}/{version}/redeploy")
def redeploy_job(
    request: Request,
    user: PageUser,
    state: State,
    _csrf: Csrf,
    name: str,
    version: str,
    kind: Annotated[str, Form()] = DeploymentKind.REDEPLOY,
) -> Response:
    """Rebuild and provision (``kind=redeploy``) or provision again (``kind=reprovision``)."""
    if kind not in (DeploymentKind.REDEPLOY, DeploymentKind.REPROVISION):
        raise InvalidInputError(f"kind must be redeploy or reprovision, not {kind!r}")
    with _hidden_as_not_found(name, version):
        state.jobs.get_job(user.subject, name, version)
    return _start_redeploy(request, state, user, name, version, DeploymentKind(kind))


@router.get("/jobs/{name}/{version}/logs/{which}")
def job_logs(
    request: Request,
    user: PageUser,
    state: State,
    name: str,
    version: str,
    which: str,
    tail: Annotated[int, Query(ge=0)] = LOG_TAIL,
) -> Response:
    """``Build logs of N V`` / ``Runtime logs of N V`` (ANSI stripped; runtime logs then follow live)."""
    if which not in ("build", "runtime"):
        raise NotFoundError(f"There is no page at {request.url.path}.")
    with _hidden_as_not_found(name, version):
        if which == "build":
            text = state.jobs.build_logs(user.subject, name, version, tail)
        else:
            text = state.jobs.runtime_logs(user.subject, name, version, tail)
    context: dict[str, Any] = {
        "title": f"{which.capitalize()} logs of {name} {version}",
        "logs": strip_ansi(text),
        "stream_url": f"{job_url(name, version)}/logs/runtime/stream?shown={len(text.splitlines())}"
        if which == "runtime"
        else None,
        "job_url": job_url(name, version),
    }
    return render(request, "_job_logs.html" if is_htmx(request) else "job_logs.html", **context)


@router.get("/jobs/{name}/{version}/logs/runtime/stream")
def job_logs_stream(
    request: Request,
    user: PageUser,
    state: State,
    name: str,
    version: str,
    shown: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """New runtime log lines as server-sent events (``event: line``), until the client leaves.

    ``shown``: how many of the latest lines the page already has (they are not sent again).
    """
    with _hidden_as_not_found(name, version):
        follow = state.jobs.follow_logs(user.subject, name, version, shown)

    def new_lines(stop: Callable[[], bool]) -> Iterator[str]:
        return itertools.islice(follow(stop), shown, None)

    return follow_lines(request, new_lines)


@router.get("/jobs/{name}/{version}/manifest")
def manifest_form(request: Request, user: PageUser, state: State, name: str, version: str) -> Response:
    """The Edit manifest form (htmx: in place of the highlighted manifest)."""
    detail = detail_context(state, user, name, version)
    context = {**detail, "manifest_yaml": detail["job"].manifest_yaml or "", "error": None}
    if is_htmx(request):
        return render(request, "_manifest_form.html", **context)
    return render(request, "manifest_edit.html", title=f"Manifest of a job {name} {version}", **context)


@router.post("/jobs/{name}/{version}/manifest")
def save_manifest(
    request: Request,
    user: PageUser,
    state: State,
    _csrf: Csrf,
    name: str,
    version: str,
    manifest_yaml: Annotated[str, Form()] = "",
) -> Response:
    """Save the edited manifest (validated; name and version stay), then redeploy the job."""
    with _hidden_as_not_found(name, version):
        state.jobs.get_job(user.subject, name, version)
    try:
        with _denied_as_forbidden():
            state.jobs.update_manifest(user.subject, name, version, manifest_yaml)
    except (InvalidInputError, ForbiddenError) as e:
        detail = detail_context(state, user, name, version)
        context = {**detail, "manifest_yaml": manifest_yaml, "error": e.message}
        if is_htmx(request):
            return render(request, "_manifest_form.html", **context)
        status = e.status_code
        return render(
            request,
            "manifest_edit.html",
            status_code=status,
            title=f"Manifest of a job {name} {version}",
            **context,
        )
    with _denied_as_forbidden():
        deployment_id = state.deployments.redeploy(user.subject, name, version, DeploymentKind.REDEPLOY)
    if not is_htmx(request):
        return redirect(
            request, f"{BASE}/deployments/{deployment_id}", "Manifest saved. Redeploying the job."
        )
    detail = detail_context(state, user, name, version)
    deployment = state.deployments.get(user.subject, deployment_id)
    response = render(request, "_manifest_saved.html", deployment=deployment, in_job_pane=True, **detail)
    return toast(request, response, "Manifest saved.")
