"""Plugins under Administration (staff only): upload a ZIP bundle, delete, download, and the
YAML config editor, on the same ``PluginService`` as the ``/plugin`` API.

An upload that fails (not a ZIP, an unsafe bundle, a plugin that fails to load) stores
nothing; the Administration page comes back with the service's message under the form.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from racetrack.core.errors import PayloadTooLargeError, RacetrackError
from racetrack.dashboard.administration import ADMIN_PAGES, administration_page
from racetrack.dashboard.csrf import Csrf
from racetrack.dashboard.rendering import redirect, render
from racetrack.dashboard.session import BASE, PageSession, StaffUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.services.plugins import PluginService
from racetrack.lifecycle.state import LifecycleState

router = APIRouter()

ADMINISTRATION = f"{BASE}/administration"
MULTIPART_OVERHEAD = 64 * 1024  # form fields and part headers around the file in an upload


def _service(state: LifecycleState) -> PluginService:
    return PluginService(state.db, state.plugins, state.settings.auth_required)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"the plugin bundle exceeds {limit / (1024 * 1024):g} MiB (MAX_PLUGIN_BYTES); nothing was installed"
    )


def _config_path(name: str, version: str) -> str:
    return f"{ADMINISTRATION}/plugins/{name}/{version}/config"


@router.post("/administration/plugins/upload")
def upload_plugin(
    request: Request,
    user: StaffUser,
    state: State,
    _csrf: Csrf,
    file: Annotated[UploadFile, File()],
    replace: Annotated[str, Form()] = "",
) -> Response:
    """Install the uploaded bundle; ``replace`` drops the plugin's other versions."""
    limit = state.settings.max_plugin_bytes
    try:
        declared = int(request.headers.get("content-length") or 0)
        if declared > limit + MULTIPART_OVERHEAD:
            raise _too_large(limit)
        data = file.file.read(limit + 1)
        if len(data) > limit:
            raise _too_large(limit)
        info = _service(state).install(
            user.subject, file.filename or "", data, replace=replace.lower() in {"1", "true", "on"}
        )
    except RacetrackError as e:
        return administration_page(request, user, state, e.status_code, upload_error=e.message)
    message = f"Plugin {info.name} {info.version} installed."
    if info.error:
        return redirect(request, ADMINISTRATION, f"{message} It failed to load: {info.error}", "error")
    return redirect(request, ADMINISTRATION, message)


@router.post("/administration/plugins/{name}/{version}/delete")
def delete_plugin(
    request: Request, user: StaffUser, state: State, _csrf: Csrf, name: str, version: str
) -> Response:
    """Uninstall one version of a bundle plugin (a faulty one too)."""
    try:
        _service(state).uninstall(user.subject, name, version)
    except RacetrackError as e:
        return redirect(request, ADMINISTRATION, f"Plugin {name} {version} not deleted: {e.message}", "error")
    return redirect(request, ADMINISTRATION, f"Plugin {name} {version} deleted.")


@router.get("/administration/plugins/{name}/{version}/download")
def download_plugin(request: Request, user: StaffUser, state: State, name: str, version: str) -> Response:
    """The stored ZIP bundle, as an attachment."""
    data = _service(state).download(user.subject, name, version)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}-{version}.zip"'},
    )


def _config_page(
    request: Request,
    user: PageSession,
    state: LifecycleState,
    name: str,
    version: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    values: dict[str, Any] = {"error": None}
    values.update(context)
    if "config_text" not in values:
        values["config_text"] = _service(state).read_config(user.subject, name, version)
    return render(
        request,
        "admin_plugin_config.html",
        status_code=status_code,
        title=f"Config of plugin {name} {version}",
        admin_pages=ADMIN_PAGES,
        plugin_name=name,
        plugin_version=version,
        **values,
    )


@router.get("/administration/plugins/{name}/{version}/config")
def plugin_config(request: Request, user: StaffUser, state: State, name: str, version: str) -> Response:
    """The YAML config editor of one installed bundle."""
    return _config_page(request, user, state, name, version)


@router.post("/administration/plugins/{name}/{version}/config")
def save_plugin_config(
    request: Request,
    user: StaffUser,
    state: State,
    _csrf: Csrf,
    name: str,
    version: str,
    config: Annotated[str, Form()] = "",
) -> Response:
    """Save the plugin's YAML config (every plugin reloads)."""
    try:
        _service(state).write_config(user.subject, name, version, config)
    except RacetrackError as e:
        return _config_page(
            request, user, state, name, version, e.status_code, error=e.message, config_text=config
        )
    return redirect(request, _config_path(name, version), "Plugin's config saved.")
