"""``racetrack up`` and ``racetrack serve``: run the server parts.

The server lives in ``racetrack.server`` and is imported only when these commands run, so the
rest of the CLI never loads FastAPI, SQLAlchemy or uvicorn.
"""

from __future__ import annotations

import importlib
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from racetrack.client.errors import ClientError

DATA_DIR_ENV = "RACETRACK_DATA_DIR"


class Component(StrEnum):
    lifecycle = "lifecycle"
    pub = "pub"
    dashboard = "dashboard"


def _server_module() -> Any:
    try:
        return importlib.import_module("racetrack.server")
    except ImportError as e:
        raise ClientError(
            f"the Racetrack server can't be loaded ({e}). It needs the full 'racetrack' package "
            "with its server dependencies: pip install racetrack"
        ) from e


def default_data_dir() -> Path:
    """``$RACETRACK_DATA_DIR`` or ``~/.racetrack/data``."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override).expanduser() if override else Path.home() / ".racetrack" / "data"


HostOption = Annotated[str, typer.Option("--host", metavar="HOST", help="Interface to listen on.")]


def up(
    host: HostOption = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, metavar="PORT", help="Port to listen on.")
    ] = 7000,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            metavar="PATH",
            help="Where the database, keys and job environments live "
            "[default: $RACETRACK_DATA_DIR or ~/.racetrack/data].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the whole of Racetrack in one process (Lifecycle, PUB, Dashboard), for local use."""
    server = _server_module()
    server.run_embedded(host=host, port=port, data_dir=(data_dir or default_data_dir()).expanduser())


def serve(
    component: Annotated[Component, typer.Argument(help="The component to run.", case_sensitive=False)],
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            metavar="HOST",
            help="Interface to listen on [default: the component's own, all interfaces].",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=1,
            max=65535,
            metavar="PORT",
            help="Port to listen on [default: the component's own, "
            "from LIFECYCLE_PORT, PUB_PORT or DASHBOARD_PORT].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run one component of a distributed Racetrack (configured through environment variables)."""
    server = _server_module()
    options: dict[str, Any] = {}
    if host is not None:
        options["host"] = host
    if port is not None:
        options["port"] = port
    server.run_component(component.value, **options)
