"""The OpenAPI 3 document of a job, generated from the entrypoint's methods.

Imported only when ``/openapi.json`` is first requested.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

from racetrack_job_runtime.endpoint import Endpoint
from racetrack_job_runtime.job import API_PREFIX, PARAMETERS_PATH, Job
from racetrack_job_runtime.settings import Settings
from racetrack_job_runtime.static import StaticFile
from racetrack_job_runtime.webview import WEBVIEW_PATH

AUTH_SCHEME = "RacetrackAuth"
_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "type": {"type": "string"}},
    "required": ["error", "type"],
}
_SIMPLE_TYPES: dict[Any, dict[str, Any]] = {
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    dict: {"type": "object"},
    list: {"type": "array", "items": {}},
    tuple: {"type": "array", "items": {}},
    set: {"type": "array", "items": {}},
    bytes: {"type": "string"},
}


def json_schema(annotation: Any) -> dict[str, Any]:
    """A JSON schema for a parameter annotation; ``{}`` (anything) when unknown."""
    if annotation is inspect.Parameter.empty or annotation is typing.Any or isinstance(annotation, str):
        return {}
    if annotation in _SIMPLE_TYPES:
        return dict(_SIMPLE_TYPES[annotation])
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, set, frozenset, tuple) or (origin is not None and str(origin).endswith("Sequence")):
        items = json_schema(args[0]) if args and args[-1] is not Ellipsis else {}
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            items = json_schema(args[0])
        return {"type": "array", "items": items}
    if origin is dict or (origin is not None and str(origin).endswith("Mapping")):
        schema: dict[str, Any] = {"type": "object"}
        if len(args) == 2:
            schema["additionalProperties"] = json_schema(args[1])
        return schema
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        options = [json_schema(arg) for arg in args if arg is not type(None)]
        nullable = type(None) in args
        if len(options) == 1:
            return {**options[0], "nullable": True} if nullable else options[0]
        result: dict[str, Any] = {"anyOf": options}
        if nullable:
            result["nullable"] = True
        return result
    if origin is typing.Literal:
        return {"enum": list(args)}
    return {}


def _request_schema(endpoint: Endpoint) -> dict[str, Any]:
    signature = endpoint.signature
    if signature is None:
        return {"type": "object"}
    try:
        hints = typing.get_type_hints(endpoint.func)
    except Exception:
        hints = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.POSITIONAL_ONLY):
            continue
        if param.kind is param.VAR_KEYWORD:
            continue
        schema = json_schema(hints.get(param.name, param.annotation))
        if param.default is param.empty:
            required.append(param.name)
        else:
            for item in endpoint.parameters():
                if item["name"] == param.name and "default_value" in item:
                    schema["default"] = item["default_value"]
        properties[param.name] = schema
    result: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        result["required"] = required
    return result


def _responses(success: dict[str, Any]) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": _ERROR_SCHEMA}}}
    return {
        "200": success,
        "400": {"description": "Invalid payload, or ValueError raised by the job", **error},
        "500": {"description": "Error raised by the job", **error},
    }


def _call_operation(endpoint: Endpoint) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": _request_schema(endpoint)}
    if endpoint.example is not None:
        body["example"] = endpoint.example
    return {
        "summary": endpoint.summary,
        "description": endpoint.description,
        "operationId": "call" + endpoint.path.replace("/", "_"),
        "tags": ["Job"],
        "requestBody": {"required": False, "content": {"application/json": body}},
        "responses": _responses({"description": "JSON-encoded result", "content": {"application/json": {}}}),
    }


def _probe(summary: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "tags": ["Health"],
            "security": [],
            "responses": {"200": {"description": "OK", "content": {"application/json": {}}}},
        }
    }


def openapi_document(settings: Settings, job: Job | None) -> dict[str, Any]:
    """The OpenAPI document; before the job is ready it lists only the built-in endpoints."""
    paths: dict[str, Any] = {}
    if job is not None:
        for endpoint in job.endpoints:
            paths[API_PREFIX + endpoint.path] = {"post": _call_operation(endpoint)}
        for route, target in sorted(job.get.items()):
            if route == API_PREFIX + PARAMETERS_PATH:
                paths[route] = {
                    "get": {
                        "summary": "Get parameters of the main action",
                        "tags": ["Job"],
                        "responses": {
                            "200": {
                                "description": "perform's parameters",
                                "content": {"application/json": {}},
                            }
                        },
                    }
                }
            elif isinstance(target, StaticFile):
                paths[route] = {
                    "get": {
                        "summary": f"Static file: {target.file}",
                        "tags": ["Static"],
                        "responses": {
                            "200": {"description": "File content", "content": {target.mimetype: {}}}
                        },
                    }
                }
        if job.webview is not None:
            paths[API_PREFIX + "/webview/{path}"] = {
                "get": {
                    "summary": "Webview: the job's user interface",
                    "tags": ["Webview"],
                    "parameters": [
                        {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": {"description": "Webview page"}},
                    "externalDocs": {"url": "." + WEBVIEW_PATH + "/", "description": "Open the webview"},
                }
            }
    paths["/live"] = _probe("Liveness: the process is up and did not fail to initialise")
    paths["/ready"] = _probe("Readiness: the job is initialised")
    paths["/health"] = _probe("Health: liveness, readiness and versions")
    paths["/metrics"] = {
        "get": {
            "summary": "Prometheus metrics",
            "tags": ["Health"],
            "responses": {"200": {"description": "Text exposition", "content": {"text/plain": {}}}},
        }
    }
    servers = [{"url": "/", "description": "root path"}]
    if settings.base_path:
        servers.insert(0, {"url": settings.base_path, "description": "proxy prefixed path"})
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"Job - {settings.job_name}",
            "description": "Job Module wrapped in a REST server",
            "version": settings.job_version or "0.0.0",
        },
        "servers": servers,
        "paths": paths,
        "components": {
            "securitySchemes": {
                AUTH_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Racetrack-Auth",
                    "description": "Your Racetrack auth token",
                }
            }
        },
        "security": [{AUTH_SCHEME: []}],
    }
