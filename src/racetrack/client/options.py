"""Options shared by several commands, and the accessor of the global CLI state."""

from __future__ import annotations

from typing import Annotated

import typer

from racetrack.client.session import CliState

RemoteOption = Annotated[
    str | None,
    typer.Option(
        "--remote", metavar="REMOTE", help="Lifecycle URL or alias to use instead of the current remote."
    ),
]


def cli_state(ctx: typer.Context) -> CliState:
    """The state the top-level callback stored (a default one when a command runs alone)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj
