"""``python -m bench.markdown``: the newest result of each suite as Markdown, for docs/benchmarks.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.report import RESULTS_DIR
from bench.suites import SUITES


def newest(suite: str) -> Path | None:
    found = sorted(RESULTS_DIR.glob(f"{suite}-*.json"))
    return found[-1] if found else None


def render(result: dict[str, Any], source: Path) -> str:
    out = [f"### {result['suite']}", "", f"From `bench/results/{source.name}` ({result['finished_at']}).", ""]
    out += ["```", *result["commands"], "```", ""]
    for table, markdown in zip(result["tables"], result["markdown"], strict=True):
        out += [f"**{table['title']}**", "", markdown, ""]
    for target in result["targets"]:
        verdict = "PASS" if target["passed"] else "MISS"
        out.append(
            f"- **{verdict}** {target['name']}: {target['measured']:.3g}{target['unit']} "
            f"(target {target['op']} {target['limit']:g}{target['unit']})"
        )
    notes = [n for n in result["notes"] if not n.startswith("profile of")]
    if notes:
        out += ["", *[f"- {n}" for n in notes]]
    return "\n".join(out) + "\n"


def main() -> int:
    suites = sys.argv[1:] or list(SUITES)
    for suite in suites:
        source = newest(suite)
        if source is None:
            print(f"### {suite}\n\nno result in bench/results/ yet: run `python -m bench {suite}`\n")
            continue
        print(render(json.loads(source.read_text()), source))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
