"""Image builder: fetches a job's source and builds the artifact an infrastructure target runs.

Local flavour: a content-addressed virtualenv built with uv plus a private copy of the source.
"""

from racetrack.builder.logs import BuildLog
from racetrack.builder.sources import (
    ContextLimits,
    Workspace,
    check_build_context,
    extract_build_context,
    prepare_workspace,
    remove_workspace,
)
from racetrack.builder.venv import build_local_artifact, environment_key, prune_environments

__all__ = [
    "BuildLog",
    "ContextLimits",
    "Workspace",
    "build_local_artifact",
    "check_build_context",
    "environment_key",
    "extract_build_context",
    "prepare_workspace",
    "prune_environments",
    "remove_workspace",
]
