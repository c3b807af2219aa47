"""BuildLog: append-only, readable while written, thread-safe, secrets masked."""

from __future__ import annotations

import threading
from pathlib import Path

from racetrack.builder import BuildLog


def test_write_and_read_with_tail(tmp_path: Path) -> None:
    log = BuildLog(tmp_path / "logs" / "d1.log")
    assert log.read() == ""
    log.write("one")
    log.write("two\nthree\n")
    assert log.read() == "one\ntwo\nthree\n"
    assert log.read(tail=2) == "two\nthree\n"
    assert log.read(tail=10) == "one\ntwo\nthree\n"


def test_readable_from_another_instance_while_written(tmp_path: Path) -> None:
    path = tmp_path / "d2.log"
    writer, reader = BuildLog(path), BuildLog(path)
    writer.write("step 1")
    assert reader.read() == "step 1\n"
    offset = reader.size()
    writer.write("step 2")
    assert reader.read_from(offset) == "step 2\n"


def test_secrets_are_masked_in_plain_and_url_quoted_form(tmp_path: Path) -> None:
    log = BuildLog(tmp_path / "d3.log", secrets=["p@ss word/1", ""])
    log.add_secrets(["tok3n"])
    log.write(
        "cloning https://user:p%40ss%20word%2F1@host/repo with p@ss word/1 and tok3n and p%40ss+word%2F1"
    )
    text = log.read()
    assert "p@ss" not in text and "p%40ss" not in text and "tok3n" not in text
    assert text.count("***") == 4


def test_longer_secret_is_masked_before_its_substring(tmp_path: Path) -> None:
    log = BuildLog(tmp_path / "d4.log", secrets=["abc", "abcdef"])
    log.write("value abcdef")
    assert log.read() == "value ***\n"


def test_concurrent_writes_keep_lines_whole(tmp_path: Path) -> None:
    log = BuildLog(tmp_path / "d5.log")

    def writer(n: int) -> None:
        for i in range(200):
            log.write(f"writer {n} line {i} " + "x" * 100)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = log.read().splitlines()
    assert len(lines) == 800
    assert all(line.endswith("x" * 100) and line.startswith("writer ") for line in lines)
