"""Browser fixtures: one real ``racetrack up`` server per session, one Chromium per module.

Chromium is Debian's ``/usr/bin/chromium`` (Playwright cannot download browsers here). When
it is missing the tests skip on a laptop and fail in CI (``CI=true``). Screenshots go to
``tests/browser/artifacts/`` (ignored by git; ``BROWSER_ARTIFACTS`` overrides the place).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.e2e.conftest import ADMIN_PASSWORD, SAMPLES, Server, start_server, stop_server
from tests.integration.builder.git_server import GitServer

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", Path(__file__).parent / "artifacts"))

SAMPLE = SAMPLES / "python-class"

__all__ = ["ADMIN_PASSWORD", "ARTIFACTS", "GIT_TOKEN", "GIT_USERNAME"]

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # pragma: no cover - playwright is a dev dependency
    sync_playwright = None  # type: ignore[assignment]


GIT_USERNAME, GIT_TOKEN = "dashboard-bot", "git-token-for-the-form"


@pytest.fixture(scope="session")
def git_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    """A private HTTPS git server holding samples/python-class as ``adder.git`` (main branch)."""
    root = tmp_path_factory.mktemp("git-repos")
    work = tmp_path_factory.mktemp("git-work")
    for path in (SAMPLE / "adder.py", SAMPLE / "job.yaml"):
        shutil.copy(path, work / path.name)
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PATH": "/usr/bin:/bin",
        "HOME": str(work),
    }
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "adder"]):
        subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(root / "adder.git")], env=env, check=True)
    with GitServer(root, GIT_USERNAME, GIT_TOKEN, tmp_path_factory.mktemp("git-tls")) as git:
        yield git


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, git_server: GitServer) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("racetrack-browser"),
        extra_env={"SITE_NAME": "test", "GIT_SSL_CAINFO": str(git_server.cert_path)},
    )
    try:
        yield srv
    finally:
        stop_server(srv)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module (Playwright's sync API keeps an asyncio loop running
    while it is open, which would break later asyncio tests of the same session)."""
    require(sync_playwright is not None, "playwright is not installed")
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 720})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot as ``<artifacts>/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"), full_page=True)


def log_in(
    page: Page, username: str = "admin", password: str = ADMIN_PASSWORD, path: str = "/dashboard/"
) -> None:
    """Log in through the login form (as a user does: labels, then Enter)."""
    page.goto(path)
    page.get_by_label("Email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(r".*/dashboard/(?!login).*"))
