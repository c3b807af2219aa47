"""The Docs tab: every Markdown page of the docs directory, and the documentation plugins
provide (``Plugin: <name>``), rendered on the server (no login)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from racetrack.core.errors import NotFoundError, RacetrackError
from racetrack.dashboard.rendering import render
from racetrack.dashboard.session import OptionalUser
from racetrack.lifecycle.api.deps import State
from racetrack.lifecycle.services.plugins import PluginService
from racetrack.lifecycle.settings import LifecycleSettings
from racetrack.lifecycle.state import LifecycleState

router = APIRouter()
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
# The curated guide on the index page: (audience, [(doc page, why read it)]).
GUIDE = (
    (
        "Users",
        [
            ("quickstart.md", "start here"),
            ("manifest.md", "the job manifest"),
            ("python3-jobs.md", "writing Python jobs"),
            ("cli.md", "the command line"),
            ("glossary.md", "words we use"),
        ],
    ),
    (
        "Administrators",
        [
            ("lifecycle.md", "configuring Lifecycle"),
            ("pub.md", "the gateway"),
            ("infrastructure.md", "infrastructure targets"),
            ("plugins.md", "installing plugins"),
            ("monitoring.md", "Prometheus and Grafana"),
        ],
    ),
    (
        "Developers",
        [
            ("architecture.md", "how Racetrack is built"),
            ("dashboard.md", "the Dashboard"),
            ("plugins.md", "writing plugins"),
            ("benchmarks.md", "performance"),
        ],
    ),
)


BUNDLED_DOCS = Path(__file__).resolve().parent / "bundled_docs"  # docs/ copied into the wheel
CHECKOUT_DOCS = Path(__file__).resolve().parents[3] / "docs"


def docs_root(settings: LifecycleSettings) -> Path | None:
    """The docs directory: the ``docs_dir`` setting, else ``docs/`` of the source checkout, else
    the copy an installed package carries."""
    if settings.docs_dir is not None:
        return settings.docs_dir.resolve()
    for candidate in (CHECKOUT_DOCS, BUNDLED_DOCS):
        if candidate.is_dir():
            return candidate
    return None


def title_of(path: str) -> str:
    """``admin/user-guide_1.md`` → ``Admin / User Guide 1``."""
    parts = path.removesuffix(".md").split("/")
    return " / ".join(part.replace("-", " ").replace("_", " ").title() for part in parts)


def doc_pages(root: Path | None) -> list[tuple[str, str]]:
    """(relative path, title) of every Markdown file under ``root``, sorted by path."""
    if root is None or not root.is_dir():
        return []
    paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md") if p.is_file())
    return [(path, title_of(path)) for path in paths]


@router.get("/docs")
@router.get("/docs/")
def docs_index(request: Request, state: State, user: OptionalUser) -> Response:
    pages = doc_pages(docs_root(state.settings))
    present = {path for path, _ in pages}
    guide = [
        (who, [(path, title_of(path), why) for path, why in items if path in present]) for who, items in GUIDE
    ]
    plugin_pages = _plugins(state).docs_pages()
    return render(
        request, "docs_index.html", title="Docs", pages=pages, guide=guide, plugin_pages=plugin_pages
    )


@router.get("/docs/plugin/{name}")
def plugin_docs_page(request: Request, state: State, user: OptionalUser, name: str) -> Response:
    """The ``markdown_docs`` of a plugin, rendered like the other pages (raw HTML escaped)."""
    if name.endswith(".md"):  # a docs page plugin/<name>.md, not a plugin
        return docs_page(request, state, user, f"plugin/{name}")
    try:
        text = _plugins(state).docs(name)
    except RacetrackError:
        raise
    except Exception as e:  # the plugin's own failure
        raise RacetrackError(f"plugin {name} failed to give its documentation: {e}") from e
    html = Markup(_markdown.render(text))
    return render(request, "docs_page.html", title=f"Plugin: {name}", doc_name=name, html_content=html)


def _plugins(state: LifecycleState) -> PluginService:
    return PluginService(state.db, state.plugins, state.settings.auth_required)


@router.get("/docs/{path:path}")
def docs_page(request: Request, state: State, user: OptionalUser, path: str) -> Response:
    """One page; anything but a ``.md`` file inside the docs root is a 404."""
    root = docs_root(state.settings)
    missing = NotFoundError(f"There is no documentation page {path}.")
    if root is None or not path.endswith(".md"):
        raise missing
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise missing
    html = Markup(_markdown.render(target.read_text(errors="replace")))
    return render(request, "docs_page.html", title=title_of(path), doc_name=path, html_content=html)
