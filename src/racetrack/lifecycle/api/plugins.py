"""``/plugin``: installed plugins, ZIP upload and uninstall, config, docs, actions (plugins.md §4).

Reading is for any authenticated caller; every change is for staff.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from racetrack.core.errors import InvalidInputError, PayloadTooLargeError
from racetrack.lifecycle.api.deps import Caller, State
from racetrack.lifecycle.schemas_catalog import PlatformOverview
from racetrack.lifecycle.services.platform import PlatformService
from racetrack.lifecycle.services.plugins import PluginService

router = APIRouter(prefix="/plugin", tags=["plugins"])


class PluginDto(BaseModel):
    name: str
    version: str
    url: str | None = None
    priority: int = 0
    category: str | None = None
    components: list[str] = []
    build_date: str | None = None
    builtin: bool = False
    error: str | None = None


class ConfigBody(BaseModel):
    config_data: str


def _service(state: State) -> PluginService:
    return PluginService(state.db, state.plugins, state.settings.auth_required)


def _limit(state: State) -> int:
    return state.settings.max_plugin_bytes


async def _read_body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(
                f"the plugin bundle exceeds {limit // (1024 * 1024)} MiB (MAX_PLUGIN_BYTES)"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _flag(value: str | int | bool | None) -> bool:
    return str(value).lower() in {"1", "true", "yes"}


@router.get("", response_model=list[PluginDto])
def list_plugins(caller: Caller, state: State) -> list[PluginDto]:
    """Every plugin: built-in ones, then the installed bundles (a failed one with its error)."""
    return [PluginDto(**asdict(info)) for info in _service(state).list_plugins()]


@router.get("/job_type/versions", response_model=list[str])
def job_type_versions(caller: Caller, state: State) -> list[str]:
    """Installed job types as ``name:version``, sorted."""
    return _service(state).job_type_versions()


@router.get("/infrastructure_targets", response_model=dict[str, PluginDto])
def infrastructure_targets(caller: Caller, state: State) -> dict[str, PluginDto]:
    """Each infrastructure target with the plugin providing it."""
    return {
        name: PluginDto(**asdict(info)) for name, info in _service(state).infrastructure_targets().items()
    }


@router.get("/tree", response_model=PlatformOverview)
def tree(caller: Caller, state: State) -> PlatformOverview:
    """Plugins with their job types and targets and how many jobs use each (staff)."""
    return PlatformService(state.db, state.plugins).overview(caller)


@router.post("/upload", response_model=PluginDto)
async def upload_form(file: UploadFile, caller: Caller, state: State, replace: str = "0") -> PluginDto:
    """Install a bundle sent as the multipart field ``file``; ``replace=1`` drops its other versions."""
    data = await file.read(_limit(state) + 1)
    if len(data) > _limit(state):
        raise PayloadTooLargeError(
            f"the plugin bundle exceeds {_limit(state) // (1024 * 1024)} MiB (MAX_PLUGIN_BYTES)"
        )
    info = await run_in_threadpool(
        _service(state).install, caller, file.filename or "", data, replace=_flag(replace)
    )
    return PluginDto(**asdict(info))


@router.post("/upload/{filename}", response_model=PluginDto)
async def upload_raw(
    filename: str, request: Request, caller: Caller, state: State, replace: str = "0"
) -> PluginDto:
    """Install a bundle sent as the raw request body; ``replace=1`` drops its other versions."""
    data = await _read_body(request, _limit(state))
    info = await run_in_threadpool(_service(state).install, caller, filename, data, replace=_flag(replace))
    return PluginDto(**asdict(info))


@router.delete("/all")
def delete_all(caller: Caller, state: State) -> dict[str, list[str]]:
    """Remove every installed bundle, extracted files included (built-in plugins stay)."""
    return {"removed": _service(state).uninstall_all(caller)}


@router.delete("/{name}/{version}")
def delete_plugin(name: str, version: str, caller: Caller, state: State) -> dict[str, str]:
    """Uninstall one version (a plugin that failed to load too)."""
    _service(state).uninstall(caller, name, version)
    return {}


@router.get("/{name}/{version}/config", response_model=str)
def read_config(name: str, version: str, caller: Caller, state: State) -> str:
    """The plugin's YAML config text."""
    return _service(state).read_config(caller, name, version)


@router.put("/{name}/{version}/config")
def write_config(name: str, version: str, body: ConfigBody, caller: Caller, state: State) -> dict[str, str]:
    """Save the plugin's YAML config; every plugin reloads."""
    _service(state).write_config(caller, name, version, body.config_data)
    return {}


@router.get("/{name}/{version}/download")
def download(name: str, version: str, caller: Caller, state: State) -> Response:
    """The stored ZIP."""
    data = _service(state).download(caller, name, version)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}-{version}.zip"'},
    )


@router.get("/{name}/docs", response_model=str)
def docs(name: str, caller: Caller, state: State) -> str:
    """Markdown documentation of the newest loaded version of the plugin."""
    return _service(state).docs(name)


@router.post("/{name}/run")
async def run_action(name: str, request: Request, caller: Caller, state: State) -> Any:
    """The plugin's ``run_action``, with the query parameters and the JSON body object as arguments."""
    arguments: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    if body.strip():
        try:
            payload = await request.json()
        except ValueError as e:
            raise InvalidInputError(f"the request body must be a JSON object: {e}") from e
        if not isinstance(payload, dict):
            raise InvalidInputError("the request body must be a JSON object (its keys become arguments)")
        arguments.update(payload)
    return await run_in_threadpool(_service(state).run_action, caller, name, arguments)
