"""Where the caller's token comes from and how PUB's credentials are removed."""

from __future__ import annotations

from racetrack.pub.credentials import parse_cookies, pick_token, strip_auth_cookies


def test_unified_header_wins_over_legacy_headers_and_cookies() -> None:
    found = {b"x-racetrack-user-auth": b"user", b"x-racetrack-auth": b"unified"}
    assert pick_token(found, b"X-Racetrack-Auth=cookie") == "unified"


def test_legacy_headers_are_read_in_order() -> None:
    assert pick_token({b"x-racetrack-user-auth": b"u", b"x-racetrack-esc-auth": b"e"}, None) == "e"
    assert pick_token({b"x-racetrack-fatman-auth": b"f", b"x-racetrack-user-auth": b"u"}, None) == "f"
    assert pick_token({b"x-racetrack-job-auth": b"j"}, None) == "j"


def test_empty_header_falls_through_to_the_next_source() -> None:
    assert pick_token({b"x-racetrack-auth": b""}, b"x-racetrack-auth=from-cookie") == "from-cookie"


def test_cookie_value_is_url_decoded() -> None:
    assert pick_token({}, b"theme=dark; X-Racetrack-Auth=abc%3D%3D%20x") == "abc== x"


def test_legacy_cookie_names_are_accepted() -> None:
    assert pick_token({}, b"X-Racetrack-Esc-Auth=esc") == "esc"


def test_no_token_anywhere_is_none() -> None:
    assert pick_token({}, None) is None
    assert pick_token({}, b"theme=dark") is None


def test_parse_cookies_handles_quotes_spaces_and_duplicates() -> None:
    cookies = parse_cookies(' a=1 ; b="two%20words"; a=2; broken; =x')
    assert cookies == {"a": "1", "b": "two words"}


def test_strip_auth_cookies_keeps_the_others() -> None:
    header = b"theme=dark; X-Racetrack-Auth=secret; x-racetrack-user-auth=u; session=abc"
    assert strip_auth_cookies(header) == b"theme=dark; session=abc"


def test_strip_auth_cookies_returns_none_when_nothing_is_left() -> None:
    assert strip_auth_cookies(b"X-Racetrack-Auth=secret") is None


def test_strip_auth_cookies_leaves_unrelated_headers_untouched() -> None:
    assert strip_auth_cookies(b"a=1;b=2") == b"a=1;b=2"
