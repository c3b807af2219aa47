"""The build log of one deployment: an append-only file, readable while the build runs.

Every text written is scrubbed first: each registered secret (git password, secret build
vars) is replaced by ``***``, in its plain and URL-quoted forms, so the stored log, the
excerpts put into error messages and the API's build-logs never show one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus

MASK = "***"


class Scrubber:
    """Replaces known secrets in text by ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        forms = set(self._secrets)
        for secret in secrets:
            if secret:
                forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
        self._secrets = sorted(forms, key=len, reverse=True)  # longest first: no partial masks

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


class BuildLog:
    """Append-only build log at ``path`` (``<build_logs_dir>/<deployment_id>.log``).

    Args:
        path: the log file; created with its parent directory on the first write.
        secrets: values masked as ``***`` in everything written.
    """

    def __init__(self, path: Path, secrets: Iterable[str] = ()) -> None:
        self.path = path
        self.scrub = Scrubber(secrets)
        self._lock = threading.Lock()

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Mask these values too from now on."""
        self.scrub.add(secrets)

    def write(self, text: str) -> None:
        """Append ``text`` (scrubbed); a missing final newline is added."""
        if not text:
            return
        text = self.scrub(text)
        if not text.endswith("\n"):
            text += "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(text)

    def read(self, tail: int = 0) -> str:
        """The whole log, or its last ``tail`` lines; empty when nothing was written yet."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        if tail > 0:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-tail:])
        return text

    def size(self) -> int:
        """Bytes written so far (an offset for :meth:`read_from`)."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def read_from(self, offset: int) -> str:
        """What was written after byte ``offset`` (e.g. one build step's output)."""
        try:
            with self.path.open("rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""
