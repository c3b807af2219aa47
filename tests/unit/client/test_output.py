from __future__ import annotations

import pytest

from racetrack.client import output
from racetrack.client.output import Output, render_table


def test_table_pads_columns_with_three_spaces() -> None:
    table = render_table(["NAME", "VERSION"], [["adder", "0.0.1"], ["a-much-longer-name", "1.2.3"]])
    assert table.splitlines() == [
        "NAME                 VERSION",
        "adder                0.0.1",
        "a-much-longer-name   1.2.3",
    ]


def test_piped_stdout_gets_data_but_no_info_lines(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output()
    out.info("chatter")
    out.notice("Job deployed")
    out.data("payload")
    out.warning("careful")
    captured = capsys.readouterr()
    assert captured.out == "Job deployed\npayload\n"
    assert "WARN careful" in captured.err


def test_terminal_gets_timestamped_log_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "stdout_is_tty", lambda: True)
    Output().info("hello")
    line = capsys.readouterr().out
    assert line.endswith(" INFO hello\n")
    assert line[0] == "[" and line[9] == "]"


def test_debug_lines_only_when_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    Output().debug("hidden")
    Output(verbose=True).debug("shown")
    captured = capsys.readouterr()
    assert "hidden" not in captured.out + captured.err
    assert "DEBUG shown" in captured.err
    assert captured.out == ""


def test_quiet_output_keeps_only_data_and_problems(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "stdout_is_tty", lambda: True)
    out = Output()
    out.quiet()
    out.info("chatter")
    out.notice("done")
    out.data("curl ...")
    out.error("boom")
    captured = capsys.readouterr()
    assert captured.out == "curl ...\n"
    assert "ERROR boom" in captured.err
