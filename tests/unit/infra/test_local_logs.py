"""Reading and following replica log files."""

from __future__ import annotations

from pathlib import Path

from racetrack.infra.local.logs import LogFollower, follow, interleave, tail_lines


def test_tail_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.log"
    path.write_text("".join(f"line {i}\n" for i in range(100_000)) + "partial")
    assert tail_lines(path, 3) == ["line 99998", "line 99999", "partial"]
    assert len(tail_lines(path, 0)) == 100_001
    assert tail_lines(tmp_path / "missing.log", 5) == []
    assert tail_lines(path, 2, end=len("line 0\nline 1\n")) == ["line 0", "line 1"]


def test_interleave_aligns_at_the_end_and_prefixes() -> None:
    merged = interleave([(0, ["a1", "a2", "a3"]), (1, ["b1"])], tail=3, prefixed=True)
    assert merged == ["[replica 0] a2", "[replica 0] a3", "[replica 1] b1"]
    assert interleave([(0, ["a1", "a2"])], tail=0, prefixed=False) == ["a1", "a2"]


def test_follower_handles_partial_lines_new_files_and_truncation(tmp_path: Path) -> None:
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("old\n")
    follower = LogFollower()
    follower.start_at(a, a.stat().st_size)
    files = [(0, a), (1, b)]
    assert follower.read_new(files, prefixed=False) == []
    with a.open("a") as f:
        f.write("new 1\nhal")
    assert follower.read_new(files, prefixed=False) == ["new 1"]
    with a.open("a") as f:
        f.write("f\n")
    b.write_text("from b\n")  # appeared later: read from its start
    assert follower.read_new(files, prefixed=True) == ["[replica 0] half", "[replica 1] from b"]
    a.write_text("rotated\n")  # smaller than the offset: read again from the start
    assert follower.read_new(files, prefixed=False) == ["rotated"]


def test_follow_yields_tail_then_new_lines_until_stopped(tmp_path: Path) -> None:
    path = tmp_path / "r.log"
    path.write_text("1\n2\n3\n")
    rounds = iter(range(100))

    def sleep(_: float) -> None:
        round_ = next(rounds)
        if round_ == 0:
            with path.open("a") as f:
                f.write("4\n")

    stopped = iter([False, False, False, True, True])
    lines = list(follow(lambda: ([(0, path)], False), tail=2, stop=lambda: next(stopped), sleep=sleep))
    assert lines == ["2", "3", "4"]


def test_follow_ends_when_the_job_is_gone(tmp_path: Path) -> None:
    calls = iter([([(0, tmp_path / "r.log")], False), None])
    assert list(follow(lambda: next(calls), tail=5, stop=lambda: False, sleep=lambda _: None)) == []
