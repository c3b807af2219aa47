"""The Deployments tab: recent deployment attempts, a deployment's details (a shareable link
with live progress) and the "Deploy a new job" form.

A user sees the deployments they started and those of jobs they may read.
"""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from racetrack.core.errors import NotFoundError, RacetrackError
from racetrack.dashboard.csrf import Csrf
from racetrack.dashboard.highlight import highlight_yaml
from racetrack.dashboard.rendering import is_htmx, redirect, render, templates
from racetrack.dashboard.session import BASE, PageSession, PageUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.schemas import DeployBody, DeploymentDto, GitCredentialsBody
from racetrack.lifecycle.services.permissions import Scope, allowed
from racetrack.lifecycle.state import LifecycleState

router = APIRouter()

LIST_LIMIT = 100
INVALID_YAML = "Invalid Manifest YAML"


def format_duration(seconds: float | None) -> str:
    """``Xd Yh Zm Ws``, dropping leading zero units (``0s`` for nothing, ``-`` when unknown)."""
    if seconds is None:
        return "-"
    total = max(int(round(seconds)), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{value}{unit}" for value, unit in parts)


templates.filters["duration"] = format_duration


def visible(user: PageSession, deployment: DeploymentDto) -> bool:
    """Whether the user started the deployment or may read its job."""
    return deployment.deployed_by == user.username or allowed(
        user.subject, Scope.READ_JOB, deployment.job_name, deployment.job_version
    )


def _get(state: LifecycleState, user: PageSession, deployment_id: str) -> DeploymentDto:
    deployment = state.deployments.get(user.subject, deployment_id)
    if not visible(user, deployment):
        raise NotFoundError(f"deployment {deployment_id} was not found")
    return deployment


def _duration(deployment: DeploymentDto) -> str:
    if deployment.duration is not None:
        return format_duration(deployment.duration)
    return format_duration(deployment.update_time - deployment.create_time)


@router.get("/deployments")
def deployments_page(request: Request, user: PageUser, state: State) -> Response:
    """Recent deployment attempts, newest first (the table refreshes itself while any runs)."""
    items = [d for d in state.deployments.list(user.subject, LIST_LIMIT) if visible(user, d)]
    context: dict[str, Any] = {"deployments": items, "duration": _duration}
    if is_htmx(request):
        return render(request, "_deployments_table.html", **context)
    return render(request, "deployments.html", title="Deployments", **context)


@router.get("/deployments/{deployment_id}")
def deployment_page(request: Request, user: PageUser, state: State, deployment_id: str) -> Response:
    """A deployment's details, with live progress while it runs."""
    deployment = _get(state, user, deployment_id)
    return render(
        request,
        "deployment.html",
        title=f"Deployment {deployment.id}",
        deployment=deployment,
        duration=_duration,
        manifest_html=highlight_yaml(deployment.manifest_yaml),
    )


@router.get("/deployments/{deployment_id}/progress")
def deployment_progress(
    request: Request, user: PageUser, state: State, deployment_id: str, pane: bool = False
) -> Response:
    """The progress box (polled by htmx every second until the deployment ends)."""
    deployment = _get(state, user, deployment_id)
    return render(
        request, "_deployment_progress.html", deployment=deployment, in_job_pane=pane, duration=_duration
    )


def _deploy_form(request: Request, status: int = 200, error: str | None = None, **values: Any) -> Response:
    defaults: dict[str, Any] = {"manifest_yaml": "", "git_username": "", "force": False}
    defaults.update(values)
    return render(
        request, "deploy.html", status_code=status, title="Deploy a new job", error=error, **defaults
    )


@router.get("/deploy")
def deploy_page(request: Request, user: PageUser) -> Response:
    return _deploy_form(request)


@router.post("/deploy")
def deploy(
    request: Request,
    user: PageUser,
    state: State,
    _csrf: Csrf,
    manifest_yaml: Annotated[str, Form()] = "",
    git_username: Annotated[str, Form()] = "",
    git_token: Annotated[str, Form()] = "",
    force: Annotated[bool, Form()] = False,
) -> Response:
    """Parse the manifest, queue the deployment, then show its details (live progress)."""
    values = {"manifest_yaml": manifest_yaml, "git_username": git_username, "force": force}
    try:
        manifest = yaml.safe_load(manifest_yaml)
    except yaml.YAMLError as e:
        return _deploy_form(request, 400, f"{INVALID_YAML}: {e}", **values)
    if not isinstance(manifest, dict):
        return _deploy_form(
            request, 400, f"{INVALID_YAML}: the manifest must be a mapping of fields", **values
        )
    credentials = None
    if git_username or git_token:
        credentials = GitCredentialsBody(username=git_username, password=git_token)
    body = DeployBody(manifest=manifest, git_credentials=credentials, secret_vars=None, force=force)
    try:
        deployment_id = state.deployments.create(user.subject, body)
    except RacetrackError as e:
        return _deploy_form(request, e.status_code if e.status_code != 401 else 403, e.message, **values)
    return redirect(request, f"{BASE}/deployments/{deployment_id}", "Job deployment requested.")
