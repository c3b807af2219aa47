"""Administration, Activity, Portfolio and Graph pages in a real browser against ``racetrack up``:
granting and revoking a permission, maintenance mode, ESC tokens shown once, staff-only
pages refused to other users, the graph's details panel, and a screenshot of each page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_PASSWORD, log_in, screenshot
from tests.e2e.conftest import Server
from tests.integration.plugins.plugin_kit import make_bundle


def admin_headers(server: Server) -> dict[str, str]:
    response = httpx.post(
        f"{server.remote}/api/v1/users/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    response.raise_for_status()
    return {"X-Racetrack-Auth": response.json()["token"]}


def create_esc(server: Server, name: str) -> str:
    response = httpx.post(f"{server.remote}/api/v1/escs", json={"name": name}, headers=admin_headers(server))
    response.raise_for_status()
    esc_id: str = response.json()["id"]
    return esc_id


@pytest.fixture
def accept_dialogs(page: Page) -> Iterator[Page]:
    """Answer every confirmation dialog with OK."""
    page.on("dialog", lambda dialog: dialog.accept())
    yield page


def test_grant_and_revoke_a_permission(accept_dialogs: Page, server: Server) -> None:
    page = accept_dialogs
    esc_id = create_esc(server, f"perm-{uuid.uuid4().hex[:6]}")
    log_in(page, path="/dashboard/administration/permissions")
    page.get_by_label("Subject type", exact=True).first.select_option("esc")
    page.get_by_label("Subject (username, ESC ID or family name)").fill(esc_id)
    page.get_by_label("Scope", exact=True).first.select_option("call_job")
    page.get_by_role("button", name="Grant").click()
    expect(
        page.get_by_role("status").filter(has_text=f"Permission call_job granted to esc {esc_id}.")
    ).to_be_visible()
    row = page.locator("#permissions tr").filter(has_text=esc_id)
    expect(row).to_have_count(1)
    screenshot(page, "admin-permissions")

    page.get_by_label("Subject type", exact=True).first.select_option("user")
    page.get_by_label("Subject (username, ESC ID or family name)").fill("nobody-at-all")
    page.get_by_role("button", name="Grant").click()
    expect(page.get_by_role("alert")).to_contain_text("user nobody-at-all does not exist")

    page.goto("/dashboard/administration/permissions")
    row.get_by_role("button", name=re.compile(r"^Revoke permission")).click()
    expect(
        page.get_by_role("status").filter(has_text=re.compile(r"Permission \d+ revoked\."))
    ).to_be_visible()
    expect(page.locator("#permissions tr").filter(has_text=esc_id)).to_have_count(0)


def test_maintenance_mode_on_shows_the_banner_then_off(accept_dialogs: Page, server: Server) -> None:
    page = accept_dialogs
    log_in(page, path="/dashboard/administration")
    try:
        page.get_by_role("switch", name="Turn maintenance mode on").click()
        expect(page.get_by_text("Maintenance mode is on.", exact=True)).to_be_visible()
        page.goto("/dashboard/")
        expect(page.get_by_role("status").filter(has_text="maintenance mode")).to_be_visible()
        page.goto("/dashboard/administration")
        page.get_by_role("switch", name="Turn maintenance mode off").click()
        expect(page.get_by_text("Maintenance mode is off.", exact=True)).to_be_visible()
        page.goto("/dashboard/")
        expect(page.locator(".banner.maintenance")).to_have_count(0)
    finally:
        httpx.put(
            f"{server.remote}/api/v1/settings/maintenance",
            json={"enabled": False},
            headers=admin_headers(server),
        )


def test_create_an_esc_and_see_its_token_once(page: Page) -> None:
    name = f"billing-{uuid.uuid4().hex[:6]}"
    log_in(page, path="/dashboard/administration/escs")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create ESC").click()
    token_box = page.get_by_label(re.compile(rf"^Token of ESC {name}"))
    expect(token_box).to_have_value(re.compile(r"^rt_e_|\S{20,}"))
    token = token_box.input_value()
    page.get_by_role("button", name="Copy the ESC token").click()
    expect(page.get_by_text("Copied to clipboard.")).to_be_visible()
    screenshot(page, "admin-escs")
    page.goto("/dashboard/administration/escs")
    expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()
    assert token not in page.content()


def test_non_staff_user_has_no_administration(page: Page, server: Server) -> None:
    username = f"user-{uuid.uuid4().hex[:8]}@example.com"
    password = "Quiet-Harbour-Lantern-42"
    assert httpx.post(
        f"{server.remote}/api/v1/users/register", json={"username": username, "password": password}
    ).is_success
    assert httpx.patch(
        f"{server.remote}/api/v1/users/{username}", json={"is_active": True}, headers=admin_headers(server)
    ).is_success
    log_in(page, username, password, path="/dashboard/profile")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Profile")).to_be_visible()
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)
    for path in ("/dashboard/administration", "/dashboard/administration/users"):
        response = page.goto(path)
        assert response is not None and response.status == 403
        expect(page.get_by_text("administrators (staff) only")).to_be_visible()


def test_graph_node_click_shows_details(page: Page, server: Server) -> None:
    name = f"graph-{uuid.uuid4().hex[:6]}"
    esc_id = create_esc(server, name)
    log_in(page, path="/dashboard/graph")
    details = page.locator("#graph-details")
    expect(details).to_be_hidden()
    page.locator(f'g.node[data-id="esc-{esc_id}"]').click()
    expect(details).to_be_visible()
    expect(details.get_by_role("heading")).to_have_text(f"ESC: {name}")
    expect(details).to_contain_text(f"ID: {esc_id}")
    screenshot(page, "graph")
    page.locator("#graph .graph-bg").click(position={"x": 5, "y": 5})
    expect(details).to_be_hidden()
    expect(page.get_by_role("heading", name="Nodes and edges")).to_be_visible()


def test_graph_physics_moves_nodes_until_turned_off(page: Page, server: Server) -> None:
    esc_id = create_esc(server, f"physics-{uuid.uuid4().hex[:6]}")
    log_in(page, path="/dashboard/graph")
    node = page.locator(f'g.node[data-id="esc-{esc_id}"]')
    placed = node.get_attribute("transform")
    page.get_by_label("Enable physics").check()
    expect(node).not_to_have_attribute("transform", placed or "")
    page.get_by_label("Enable physics").uncheck()
    stopped = node.get_attribute("transform")
    page.wait_for_timeout(300)  # a few animation frames
    assert node.get_attribute("transform") == stopped, "nodes still move with physics off"


def test_screenshots_of_the_main_pages(page: Page) -> None:
    log_in(page, path="/dashboard/administration")
    pages = {
        "administration": ("/dashboard/administration", "Administration"),
        "admin-users": ("/dashboard/administration/users", "Users"),
        "admin-escs-list": ("/dashboard/administration/escs", "External Service Consumers"),
        "admin-permissions-list": ("/dashboard/administration/permissions", "Permissions"),
        "admin-public-endpoints": ("/dashboard/administration/public-endpoints", "Public endpoints"),
        "admin-trash": ("/dashboard/administration/trash", "Trash"),
        "activity": ("/dashboard/activity", "Activity"),
        "portfolio": ("/dashboard/portfolio", "Portfolio"),
        "graph-page": ("/dashboard/graph", "Dependencies graph"),
    }
    for name, (path, heading) in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        screenshot(page, name)
    page.goto("/dashboard/activity")
    page.get_by_label("Only related to me").check()
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"related=true"))
    expect(page.get_by_label("Only related to me")).to_be_checked()


def test_upload_configure_and_delete_a_plugin(
    accept_dialogs: Page, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page = accept_dialogs
    name = f"browser-plugin-{uuid.uuid4().hex[:6]}"
    bundle = make_bundle(tmp_path_factory.mktemp("bundle"), name, "1.0.0", job_type=f"jt-{name}")
    label = f"{name} 1.0.0"
    log_in(page, path="/dashboard/administration")
    replace = page.get_by_label("Replace on upload")
    replace.check()
    page.get_by_label("Plugin ZIP file").set_input_files(
        files=[{"name": f"{name}-1.0.0.zip", "mimeType": "application/zip", "buffer": bundle}]
    )
    page.get_by_role("button", name="Upload plugin").click()
    expect(page.get_by_role("status").filter(has_text=f"Plugin {label} installed.")).to_be_visible()
    entry = page.get_by_role("listitem", name=f"Plugin {label}")
    expect(entry).to_contain_text("Version 1.0.0")
    expect(page.get_by_label("Replace on upload")).to_be_checked()
    page.reload()
    expect(page.get_by_label("Replace on upload")).to_be_checked()  # remembered in the browser
    screenshot(page, "admin-plugins")

    entry.get_by_role("link", name="Edit config").click()
    expect(page.get_by_role("heading", name=f"YAML configuration of plugin {label}")).to_be_visible()
    page.get_by_label("Configuration (YAML)").fill("greeting: hello from the browser\n")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Plugin's config saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Configuration (YAML)")).to_have_value("greeting: hello from the browser\n")

    page.goto("/dashboard/administration")
    questions: list[str] = []
    page.on("dialog", lambda dialog: questions.append(dialog.message))
    page.get_by_role("listitem", name=f"Plugin {label}").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text=f"Plugin {label} deleted.")).to_be_visible()
    assert questions == [f'Are you sure you want to delete the plugin "{label}"?']
    expect(page.get_by_role("listitem", name=f"Plugin {label}")).to_have_count(0)
