"""Generate the command reference of ``docs/cli.md`` from the CLI's own ``--help`` texts.

    python -m racetrack.client.reference --write docs/cli.md   # refresh the generated section
    python -m racetrack.client.reference --check docs/cli.md   # exit 1 when it is stale

Only the part between the BEGIN/END markers is generated; the rest of the page is prose.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BEGIN = "<!-- BEGIN GENERATED REFERENCE: python -m racetrack.client.reference --write docs/cli.md -->"
END = "<!-- END GENERATED REFERENCE -->"
WIDTH = 100


def _walk(command: Any, parent: Any, name: str) -> Iterator[tuple[str, str]]:
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = command.context_class(command, info_name=name, parent=parent, **settings)
    yield ctx.command_path, command.get_help(ctx)
    if hasattr(command, "list_commands"):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not getattr(sub, "hidden", False):
                yield from _walk(sub, ctx, sub_name)


def render() -> str:
    """The generated section: one heading and one ``--help`` block per command."""
    from typer.main import get_command

    from racetrack.client.main import app

    parts = [BEGIN, ""]
    for path, help_text in _walk(get_command(app), None, "racetrack"):
        parts += [f"### `{path}`", "", "```text", help_text.rstrip(), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def apply(document: str) -> str:
    """``document`` with its generated section replaced (appended when it has none)."""
    section = render()
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        return head + section + tail
    return document.rstrip("\n") + "\n\n" + section + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("--write", "--check"):
        sys.stderr.write("usage: python -m racetrack.client.reference --write|--check PATH\n")
        return 2
    mode, path = argv[0], Path(argv[1])
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = apply(current)
    if mode == "--check":
        if updated != current:
            sys.stderr.write(
                f"{path} is out of date: run python -m racetrack.client.reference --write {path}\n"
            )
            return 1
        return 0
    path.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
