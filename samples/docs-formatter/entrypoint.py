import base64
import re
import zlib
from pathlib import Path

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt

TEMPLATES = Path(__file__).resolve().parent / "templates"
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")

# GitHub-like Markdown: CommonMark plus tables and strikethrough; raw HTML is escaped.
markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def encode_docs(text: str) -> str:
    """zlib, base64, then URL-safe substitutions: the whole document fits in a shareable URL."""
    packed = base64.b64encode(zlib.compress(text.encode()))
    return packed.decode().replace("+", ".").replace("/", "_").replace("=", "-")


def decode_docs(data: str) -> str:
    packed = data.replace(".", "+").replace("_", "/").replace("-", "=")
    return zlib.decompress(base64.b64decode(packed)).decode()


def render_markdown(text: str) -> str:
    """Markdown to HTML; a list right after a line ending with a colon still becomes a list."""
    lines: list[str] = []
    for line in text.splitlines():
        if LIST_ITEM.match(line) and lines and lines[-1].rstrip().endswith(":"):
            lines.append("")
        lines.append(line)
    return markdown.render("\n".join(lines))


class JobEntrypoint:
    """A webview-only job: no perform method, so /api/v1/perform answers 400."""

    def webview_app(self, base_url: str):
        """
        An ASGI app: routes are relative to the webview root (/view), while links and
        redirects use base_url (/pub/job/docs-formatter/<version>/api/v1/webview).
        """
        app = FastAPI()
        templates = Jinja2Templates(directory=str(TEMPLATES))

        @app.get("/")
        def index():
            return RedirectResponse(f"{base_url}/view")

        @app.get("/view", response_class=HTMLResponse)
        def view(request: Request, data: str = ""):
            try:
                raw_docs = decode_docs(data) if data else ""
            except (ValueError, zlib.error):
                return HTMLResponse("invalid document in the URL", status_code=400)
            return templates.TemplateResponse(
                request,
                "view.html",
                {"base_url": base_url, "raw_docs": raw_docs, "html": render_markdown(raw_docs)},
            )

        @app.post("/preview")
        def preview(raw_docs: str = Form("")):
            return RedirectResponse(f"{base_url}/view?data={encode_docs(raw_docs)}", status_code=303)

        return app
