"""Human wording of times and sizes, shared by the CLI and the API (activity `time_ago`)."""

from __future__ import annotations

import time


def time_ago(timestamp: float | None, now: float | None = None) -> str:
    """Describe a past Unix timestamp relative to ``now``: ``5 minutes ago``, ``yesterday``.

    ``None`` gives ``never``; a timestamp in the future gives ``just now``.
    """
    if timestamp is None:
        return "never"
    seconds = int((time.time() if now is None else now) - timestamp)
    days, second_of_day = divmod(max(seconds, 0), 86400)
    if days == 0:
        if second_of_day < 10:
            return "just now"
        if second_of_day < 60:
            return f"{second_of_day} seconds ago"
        if second_of_day < 120:
            return "a minute ago"
        if second_of_day < 3600:
            return f"{second_of_day // 60} minutes ago"
        if second_of_day < 7200:
            return "an hour ago"
        return f"{second_of_day // 3600} hours ago"
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    if days < 14:
        return "a week ago"
    if days < 31:
        return f"{days // 7} weeks ago"
    if days < 60:
        return "a month ago"
    if days < 365:
        return f"{days // 30} months ago"
    if days < 730:
        return "a year ago"
    return f"{days // 365} years ago"


def size(num_bytes: int) -> str:
    """``532 B``, ``12.3 KiB``, ``4.0 MiB``."""
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{num_bytes} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover
