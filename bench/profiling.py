"""Where the time goes: py-spy (in a throwaway venv) samples a server while wrk loads it.

``top_frames`` turns py-spy's raw collapsed stacks into the functions with the most samples,
both as the innermost frame (self time) and anywhere on the stack (inclusive time).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError
from bench.load import Load, LoadResult, run_wrk
from bench.venvs import venv

PY_SPY = "py-spy>=0.4"
ROOT_SHARE = 0.95
_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
_FRAME_LINE = re.compile(r":\d+\)$")


@dataclass
class Profile:
    """Top functions of one sampled process, as shares of all samples."""

    process: str
    samples: int
    self_top: list[tuple[str, float]]
    inclusive_top: list[tuple[str, float]]
    load: LoadResult | None
    threads: list[tuple[str, float]]  # (the thread's entry function, share of the samples)

    def render(self, limit: int = 12) -> str:
        lines = [
            f"profile of {self.process}: {self.samples} samples of the thread holding the GIL (py-spy --gil)"
        ]
        lines.append("  by thread (its entry function):")
        lines.extend(f"    {share:5.1f} %  {name}" for name, share in self.threads[:limit])
        lines.append("  self time (innermost frame):")
        lines.extend(f"    {share:5.1f} %  {name}" for name, share in self.self_top[:limit])
        lines.append("  inclusive time (anywhere on the stack):")
        lines.extend(f"    {share:5.1f} %  {name}" for name, share in self.inclusive_top[:limit])
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "process": self.process,
            "samples": self.samples,
            "self_top": self.self_top,
            "inclusive_top": self.inclusive_top,
            "threads": self.threads,
            "load": self.load.to_json() if self.load else None,
        }


def _function(frame: str) -> str:
    """``perform (app.py:120)`` → ``perform (app.py)``: aggregate a function over its lines."""
    return _FRAME_LINE.sub(")", frame.strip())


def top_frames(raw: str, process: str, load: LoadResult | None = None, limit: int = 25) -> Profile:
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: dict[str, Counter[str]] = {}
    total = 0
    for line in raw.splitlines():
        match = _LINE.match(line.strip())
        if match is None:
            continue
        count = int(match["count"])
        stack = [_function(f) for f in match["stack"].split(";") if f]
        thread = next((f for f in stack if f.startswith("thread ")), "thread ?")
        # py-spy puts "process ..." / "thread ..." pseudo-frames first: keep code frames only
        frames = [f for f in stack if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
        entry = next((f for f in frames if not f.endswith("(threading.py)")), frames[0])
        threads.setdefault(thread, Counter())[entry] += count
    if total == 0:
        raise BenchError(f"py-spy recorded no samples of {process}")

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        # frames on (nearly) every stack are the entry chain (main, typer, asyncio.run): no news
        found = [
            (name, round(100 * n / total, 1)) for name, n in counter.most_common() if n < ROOT_SHARE * total
        ]
        return found[:limit]

    by_thread = sorted(
        (
            (counter.most_common(1)[0][0], round(100 * sum(counter.values()) / total, 1))
            for counter in threads.values()
        ),
        key=lambda x: -x[1],
    )
    return Profile(process, total, shares(self_counts), shares(inclusive), load, by_thread)


def profile_under_load(pid: int, process: str, load: Load, connections: int, seconds: float) -> Profile:
    """Record ``pid`` with py-spy for ``seconds`` while wrk runs ``load`` at ``connections``."""
    py_spy = venv("py-spy", [PY_SPY]) / "bin" / "py-spy"
    with tempfile.TemporaryDirectory(prefix="bench-pyspy-") as tmp:
        out = Path(tmp) / "stacks.txt"
        argv = [
            str(py_spy),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            "250",
            "--format",
            "raw",
            "--gil",
            "--threads",
            "--output",
            str(out),
        ]
        recorder = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            result = run_wrk(load, connections, seconds)
        except BaseException:
            recorder.kill()
            recorder.wait()
            raise
        try:
            output, _ = recorder.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired as e:
            recorder.kill()
            raise BenchError(f"py-spy did not finish recording {process}") from e
        if recorder.returncode != 0 or not out.exists():
            raise BenchError(f"py-spy failed on {process} (pid {pid}), exit {recorder.returncode}:\n{output}")
        return top_frames(out.read_text(), process, result)
