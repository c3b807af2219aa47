"""Token format and where a request's token is read from."""

from __future__ import annotations

import pytest

from racetrack.lifecycle.services.auth import SubjectKind, generate_token, hash_token, read_token


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        (SubjectKind.USER, "rt_u_"),
        (SubjectKind.ESC, "rt_e_"),
        (SubjectKind.JOB_FAMILY, "rt_f_"),
        (SubjectKind.INTERNAL, "rt_i_"),
    ],
)
def test_tokens_name_their_subject_type_and_carry_32_random_bytes(kind: SubjectKind, prefix: str) -> None:
    token = generate_token(kind)
    assert token.startswith(prefix)
    assert len(token) - len(prefix) >= 43  # 32 bytes, URL-safe base64
    assert generate_token(kind) != token


def test_hash_is_sha256_hex() -> None:
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_current_header_wins_over_legacy_ones() -> None:
    assert read_token({"X-Racetrack-Auth": "new", "X-Racetrack-User-Auth": "old"}) == "new"
    assert read_token({"X-Racetrack-Esc-Auth": "esc"}) == "esc"
    assert read_token({"X-Racetrack-Fatman-Auth": "job", "X-Racetrack-Esc-Auth": "esc"}) == "job"
    assert read_token({"X-Racetrack-Auth": "  "}) is None
    assert read_token({}) is None
