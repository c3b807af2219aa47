"""Static endpoints: files (or whole directories) served by ``GET /api/v1/<path>``."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from racetrack_job_runtime.errors import InitError

logger = logging.getLogger("racetrack_job_runtime")
DEFAULT_MIMETYPE = "text/plain"


class StaticFile:
    """A file on disk, read on every request, with the mimetype it is served as."""

    __slots__ = ("file", "mimetype")

    def __init__(self, file: str, mimetype: str) -> None:
        self.file = file
        self.mimetype = mimetype

    def read(self) -> bytes:
        with open(self.file, "rb") as f:
            return f.read()


def guess_mimetype(file: str) -> str | None:
    import mimetypes  # only jobs with static files pay for the mimetype tables

    return mimetypes.guess_type(file)[0]


def _mimetype_for(file: str, mimetype: str | None) -> str:
    if mimetype:
        return mimetype
    guessed = guess_mimetype(file)
    if guessed is None:
        logger.warning(
            "cannot guess the mimetype of static file %s, serving it as %s", file, DEFAULT_MIMETYPE
        )
        return DEFAULT_MIMETYPE
    return guessed


def collect_static_files(endpoints: Mapping[str, Any], url_prefix: str = "/api/v1") -> dict[str, StaticFile]:
    """Map URL paths to files; directories are walked recursively now (later files are not served)."""
    files: dict[str, StaticFile] = {}
    for path, target in sorted(endpoints.items()):
        path = "/" + str(path).strip("/")
        if isinstance(target, (tuple, list)):
            if len(target) != 2:
                raise InitError(f"static endpoint {path} must map to a file or a (file, mimetype) pair")
            file, mimetype = str(target[0]), str(target[1]) if target[1] else None
        else:
            file, mimetype = str(target), None
        if os.path.isdir(file):
            for root, dirs, names in os.walk(file):
                dirs.sort()
                for name in sorted(names):
                    full = os.path.join(root, name)
                    relative = os.path.relpath(full, file).replace(os.sep, "/")
                    url = f"{url_prefix}{path.rstrip('/')}/{relative}"
                    files[url] = StaticFile(full, _mimetype_for(full, mimetype))
        elif os.path.isfile(file):
            files[url_prefix + path] = StaticFile(file, _mimetype_for(file, mimetype))
        else:
            raise InitError(f"static file doesn't exist: {file}")
    return files


def resolve_in_directory(directory: str, relative: str) -> str | None:
    """The file ``relative`` inside ``directory``, or ``None`` if absent or outside it."""
    base = os.path.realpath(directory)
    candidate = os.path.realpath(os.path.join(base, relative.lstrip("/")))
    if not candidate.startswith(base + os.sep) or not os.path.isfile(candidate):
        return None
    return candidate
