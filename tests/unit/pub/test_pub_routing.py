"""Path parsing: route kinds, job name/version/path, normalisation, dot segments."""

from __future__ import annotations

import pytest

from racetrack.pub.routing import (
    InvalidJobPathError,
    JobCall,
    normalise_endpoint,
    parse_job_call,
    request_path,
    split_route,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/pub/job/adder/1.0.0/x", ("job", "/adder/1.0.0/x")),
        ("/job/adder/1.0.0/x", ("job", "/adder/1.0.0/x")),
        ("/pub/fatman/adder/latest", ("fatman", "/adder/latest")),
        ("/pub/metrics", ("metrics", "")),
        ("/metrics", ("metrics", "")),
        ("/pub", ("", "")),
        ("/pub/", ("", "")),
        ("/publish/x", ("publish", "/x")),
        ("/", ("", "")),
    ],
)
def test_split_route_serves_raw_and_prefixed_paths(path: str, expected: tuple[str, str]) -> None:
    assert split_route(path, "pub") == expected


def test_parse_job_call_keeps_the_version_as_typed_and_the_path() -> None:
    assert parse_job_call("/adder/1.x/api/v1/perform") == JobCall("adder", "1.x", "/api/v1/perform")
    assert parse_job_call("/adder/latest") == JobCall("adder", "latest", "")
    assert parse_job_call("/adder/0.0.1/") == JobCall("adder", "0.0.1", "/")
    assert parse_job_call("/adder/1.0.0-dev/a%2Fb") == JobCall("adder", "1.0.0-dev", "/a%2Fb")


def test_parse_job_call_collapses_a_leading_double_slash() -> None:
    assert parse_job_call("/adder/1.0.0//x//y").path == "/x//y"


@pytest.mark.parametrize("remainder", ["", "/", "//1.0.0/x", "/adder", "/adder/", "/adder//x"])
def test_parse_job_call_requires_name_and_version(remainder: str) -> None:
    with pytest.raises(InvalidJobPathError, match="Couldn't extract job"):
        parse_job_call(remainder)


@pytest.mark.parametrize("path", ["/a/../b", "/..", "/./x", "/%2e%2e/x", "/%2E./x", "/x/.%2e"])
def test_parse_job_call_rejects_dot_segments(path: str) -> None:
    with pytest.raises(InvalidJobPathError, match="'..'"):
        parse_job_call("/adder/1.0.0" + path)


@pytest.mark.parametrize("path", ["/app.js", "/.well-known/x", "/a..b", "/%20"])
def test_parse_job_call_accepts_dots_inside_segments(path: str) -> None:
    assert parse_job_call("/adder/1.0.0" + path).path == path


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [("", "/"), ("/", "/"), ("/x", "/x"), ("/x/", "/x"), ("x", "/x"), ("/x//", "/x/")],
)
def test_endpoint_gets_a_leading_slash_and_loses_one_trailing_slash(path: str, endpoint: str) -> None:
    assert normalise_endpoint(path) == endpoint


def test_request_path_prefers_the_raw_path() -> None:
    assert request_path("/pub/job/a/1/a/b", b"/pub/job/a/1/a%2Fb", "") == "/pub/job/a/1/a%2Fb"


def test_request_path_encodes_non_ascii_raw_bytes() -> None:
    assert request_path("/x", "/pub/job/a/1/ż".encode(), "") == "/pub/job/a/1/%C5%BC"


def test_request_path_without_raw_path_encodes_the_decoded_path() -> None:
    assert request_path("/pub/job/a/1/a b", None, "") == "/pub/job/a/1/a%20b"


def test_request_path_drops_a_mounting_prefix() -> None:
    assert request_path("/pub/job/a/1", b"/pub/job/a/1", "/pub") == "/job/a/1"
    assert request_path("/pubx/job", b"/pubx/job", "/pub") == "/pubx/job"
    assert request_path("/pub", b"/pub", "/pub") == "/"
