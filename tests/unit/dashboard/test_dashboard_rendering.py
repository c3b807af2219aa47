"""Pure helpers of the Dashboard: the ``time`` filter, ``next`` checking, docs titles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from racetrack.dashboard.docs_pages import title_of
from racetrack.dashboard.rendering import templates
from racetrack.dashboard.session import safe_next


def test_time_filter_renders_a_time_element() -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    html = templates.from_string("{{ t | time }}").render(t=moment)
    assert html == '<time datetime="2024-05-01T12:00:00+00:00" class="ago">2024-05-01T12:00:00+00:00</time>'
    assert 'class="local"' in templates.from_string("{{ t | time(relative=False) }}").render(t=0.0)
    assert templates.from_string("{{ t | time }}").render(t=None) == '<span class="never">never</span>'


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/dashboard/profile?x=1", "/dashboard/profile?x=1"),
        (None, "/dashboard/"),
        ("https://evil.example/dashboard/", "/dashboard/"),
        ("//evil.example/", "/dashboard/"),
        ("/dashboard/\\evil", "/dashboard/"),
        ("/lifecycle/", "/dashboard/"),
        ("/dashboard/x\r\nSet-Cookie: a=b", "/dashboard/"),
    ],
)
def test_safe_next_allows_only_dashboard_paths(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected


def test_doc_titles() -> None:
    assert title_of("admin/user-guide_1.md") == "Admin / User Guide 1"
