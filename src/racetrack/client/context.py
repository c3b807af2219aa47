"""The local build context: a job directory packed as a base64 ``tar.gz`` for ``deploy``.

Files are chosen by the directory's ``.gitignore`` (syntax and defaults in
:mod:`racetrack.core.file_matching`); symbolic links are skipped (the server refuses links).
"""

from __future__ import annotations

import base64
import io
import os
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from racetrack.core.file_matching import FileMatcher, collect_files

__all__ = ["BuildContext", "FileMatcher", "collect_files", "pack_build_context"]


@dataclass(frozen=True)
class BuildContext:
    """A packed job directory."""

    encoded: str
    """Base64 of the ``tar.gz``; goes into the deploy request as ``build_context``."""
    files: list[str]
    """Relative paths of the packed files, sorted."""
    compressed_size: int


def pack_build_context(
    job_dir: Path, on_skip: Callable[[str], None] | None = None, secret_files: Sequence[Path] = ()
) -> BuildContext:
    """Pack ``job_dir`` (minus ignored files) as a base64-encoded ``tar.gz``.

    Args:
        on_skip: called with the relative path of every symbolic link or special file skipped.
        secret_files: files never packed, whatever the ignore rules say: the manifest's secret
            env files, which travel encrypted apart from the source.
    """
    job_dir = Path(job_dir)
    matcher = FileMatcher.from_ignore_file(job_dir / ".gitignore")
    secret = {_relative_to(job_dir, path) for path in secret_files}
    files = [f for f in collect_files(job_dir, matcher, on_skip) if f not in secret]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for relative in files:
            info = tar.gettarinfo(str(job_dir / relative), arcname=relative)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(job_dir / relative, "rb") as file:
                tar.addfile(info, file)
    data = buffer.getvalue()
    return BuildContext(
        encoded=base64.b64encode(data).decode("ascii"), files=files, compressed_size=len(data)
    )


def _relative_to(job_dir: Path, path: Path) -> str | None:
    """``path`` (absolute or relative to ``job_dir``) as a POSIX path inside ``job_dir``, or None."""
    full = Path(os.path.normpath(job_dir / path))
    try:
        return full.relative_to(os.path.normpath(job_dir)).as_posix()
    except ValueError:
        return None
