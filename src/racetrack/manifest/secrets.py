"""Reading ``.env``-style secret files (``secret_build_env_file``, ``secret_runtime_env_file``).

Error messages name the file and line but never a value: the values are secrets.
"""

from __future__ import annotations

from pathlib import Path

from racetrack.manifest.errors import ManifestError

_QUOTES = ("'", '"')


def read_secret_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines as a mapping.

    Blank lines and lines starting with ``#`` are skipped, an ``export`` prefix is allowed,
    keys are case-sensitive and one pair of surrounding single or double quotes is stripped
    from a value. Values keep any ``#`` they contain (no inline comments).

    Raises:
        ManifestError: the file is missing or unreadable, or a line is not ``KEY=VALUE``.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"secret env file doesn't exist: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ManifestError(f"secret env file {path}: cannot read it: {type(e).__name__}") from None
    result: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ManifestError(f"secret env file {path}, line {number}: expected KEY=VALUE")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in _QUOTES:
            value = value[1:-1]
        result[key] = value
    return result
