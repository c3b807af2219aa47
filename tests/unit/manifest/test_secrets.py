from __future__ import annotations

from pathlib import Path

import pytest

from racetrack.manifest import ManifestError, read_secret_env_file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secret.env"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_key_value_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "A=1\nb=two words\nEMPTY=\n")
    assert read_secret_env_file(path) == {"A": "1", "b": "two words", "EMPTY": ""}


def test_comments_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "# header\n\n  # indented comment\nTOKEN=abc\n")
    assert read_secret_env_file(path) == {"TOKEN": "abc"}


def test_surrounding_quotes_are_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, "A='single'\nB=\"double\"\nC='mixed\"\nD='\n")
    assert read_secret_env_file(path) == {"A": "single", "B": "double", "C": "'mixed\"", "D": "'"}


def test_only_the_first_equals_sign_splits(tmp_path: Path) -> None:
    assert read_secret_env_file(write(tmp_path, "URL=https://x/?a=b#c\n")) == {"URL": "https://x/?a=b#c"}


def test_keys_are_case_sensitive(tmp_path: Path) -> None:
    assert read_secret_env_file(write(tmp_path, "key=a\nKEY=b\n")) == {"key": "a", "KEY": "b"}


def test_export_prefix_is_allowed(tmp_path: Path) -> None:
    assert read_secret_env_file(write(tmp_path, "export A=1\n")) == {"A": "1"}


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.env"
    with pytest.raises(ManifestError) as info:
        read_secret_env_file(path)
    assert str(info.value) == f"secret env file doesn't exist: {path}"


def test_malformed_line_names_the_line_but_not_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, "A=1\nsupersecretvalue\n")
    with pytest.raises(ManifestError) as info:
        read_secret_env_file(path)
    assert str(info.value) == f"secret env file {path}, line 2: expected KEY=VALUE"
    assert "supersecret" not in str(info.value)


def test_empty_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="line 1: expected KEY=VALUE"):
        read_secret_env_file(write(tmp_path, "=value\n"))


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "secret.env"
    path.write_bytes(b"A=\xff\n")
    with pytest.raises(ManifestError, match="cannot read it"):
        read_secret_env_file(path)
