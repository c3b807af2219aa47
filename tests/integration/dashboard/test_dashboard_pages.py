"""Layout, docs, 404 and database-down pages of the Dashboard."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.integration.dashboard.dashboard_support import form_login
from tests.integration.lifecycle.lifecycle_support import TestClient


def test_layout_has_nav_footer_and_site_colour(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(site_name="prod", docker_tag="2.0.0", git_version="abc123")) as client:
        form_login(client)
        page = client.get("/dashboard/profile").text
    assert '<strong class="site-name">[PROD]</strong> Racetrack Dashboard' in page
    assert "background-color: #B71C1C" in page
    assert "<title>Profile · [prod] Racetrack Dashboard</title>" in page
    assert 'Racetrack version <span class="version">2.0.0 (abc123)</span>' in page
    labels = ["Jobs", "Deployments", "Graph", "Portfolio", "Activity", "Profile", "Administration", "Docs"]
    positions = [page.index(f">{label}</a>") for label in labels]
    assert positions == sorted(positions) and page.index(">Logout</button>") > positions[-1]


def test_maintenance_banner(app: FastAPI, client: TestClient) -> None:
    from racetrack.lifecycle.services.maintenance import set_maintenance_mode

    with app.state.lifecycle.db.session() as session:
        set_maintenance_mode(session, True)
    assert "currently in maintenance mode" in client.get("/dashboard/login").text


def test_docs_are_public_and_rendered(make_app: Callable[..., FastAPI], tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "admin").mkdir(parents=True)
    (docs / "user-guide_1.md").write_text(
        "# Guide\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x</script>\n"
    )
    (docs / "admin" / "setup.md").write_text("# Setup\n")
    (tmp_path / "secret.md").write_text("top secret")
    with TestClient(make_app(docs_dir=docs)) as client:
        index = client.get("/dashboard/docs/")
        assert index.status_code == 200
        assert "User Guide 1" in index.text and "Admin / Setup" in index.text
        page = client.get("/dashboard/docs/user-guide_1.md")
        assert page.status_code == 200 and "<table>" in page.text and "<script>x" not in page.text
        for bad in ("../secret.md", "..%2Fsecret.md", "%2e%2e/secret.md", "admin/../../secret.md", "x.txt"):
            response = client.get(f"/dashboard/docs/{bad}")
            assert response.status_code == 404, bad
            assert "top secret" not in response.text


def test_default_docs_dir_is_the_checkout(client: TestClient) -> None:
    assert "Lifecycle" in client.get("/dashboard/docs/").text
    assert client.get("/dashboard/docs/lifecycle.md").status_code == 200


def test_unknown_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/dashboard/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text and "<html" in response.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_database_down_gives_a_503_page(make_app: Callable[..., FastAPI]) -> None:
    # the lifespan is not run: the database at this URL refuses connections
    app = make_app(database_url="postgresql://postgres@127.0.0.1:9/nowhere")
    client = TestClient(app)
    client.cookies.set("X-Racetrack-Auth", "rt_u_whatever")
    response = client.get("/dashboard/profile", follow_redirects=False)
    assert response.status_code == 503
    assert "database is not reachable" in response.text and "Traceback" not in response.text
    assert client.get("/dashboard/login").status_code == 200  # the login form still renders
