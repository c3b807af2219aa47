"""A tiny server-side YAML highlighter: keys, strings, numbers, literals and comments as spans.

Line based and forgiving (any text renders); every piece of text is HTML-escaped, so the
result is safe to put in a page as it is.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_KEY = re.compile(r"^(\s*(?:-\s+)*)((?:\"[^\"]*\"|'[^']*'|[^\s#'\"][^:#]*?)\s*)(:)(?=\s|$)")
_ITEM = re.compile(r"^(\s*(?:-\s+)+)(.*)$")
_NUMBER = re.compile(r"^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^0x[0-9a-fA-F]+$")
_LITERALS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "~"})


def _span(css: str, text: str) -> str:
    return f'<span class="y-{css}">{escape(text)}</span>' if text else ""


def _split_comment(line: str) -> tuple[str, str]:
    """``line`` as (code, comment): a ``#`` at the start or after a space, outside quotes."""
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"" and (i == 0 or line[i - 1] in " \t:-[{,"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], line[i:]
    return line, ""


def _value(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return str(escape(text))
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    if stripped[0] in "'\"":
        css = "string"
    elif _NUMBER.match(stripped):
        css = "number"
    elif stripped.lower() in _LITERALS:
        css = "literal"
    elif stripped in ("|", ">", "|-", ">-", "|+", ">+") or stripped[0] in "[{&*!":
        css = "punct"
    else:
        css = "string"
    return f"{escape(lead)}{_span(css, stripped)}{escape(trail)}"


def _line(line: str, in_block: bool) -> str:
    code, comment = _split_comment(line) if not in_block else (line, "")
    if in_block:
        return _span("string", code)
    out: list[str] = []
    key = _KEY.match(code)
    if key:
        out.append(f"{escape(key.group(1))}{_span('key', key.group(2))}{escape(key.group(3))}")
        out.append(_value(code[key.end() :]))
    else:
        item = _ITEM.match(code)
        if item:
            out.append(f"{escape(item.group(1))}{_value(item.group(2))}")
        elif code.strip() in ("---", "..."):
            out.append(_span("punct", code))
        else:
            out.append(_value(code))
    out.append(_span("comment", comment))
    return "".join(out)


def highlight_yaml(text: str | None) -> Markup:
    """``text`` as escaped HTML with ``<span class="y-key|y-string|y-number|y-literal|y-comment">``."""
    if not text:
        return Markup("")
    lines: list[str] = []
    block_indent: int | None = None  # inside a ``|`` or ``>`` block scalar: lines indented more
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if block_indent is not None and (not line.strip() or indent > block_indent):
            lines.append(_line(line, True))
            continue
        block_indent = None
        lines.append(_line(line, False))
        code = _split_comment(line)[0].rstrip()
        if code.endswith(("|", ">", "|-", ">-", "|+", ">+")) and (
            ":" in code or code.lstrip().startswith("-")
        ):
            block_indent = indent
    return Markup("\n".join(lines))
