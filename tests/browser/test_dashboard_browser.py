"""The Dashboard in a real browser against a real ``racetrack up``: log in, layout, profile,
token copy and regeneration without reload, changing the password, logging out."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_PASSWORD, log_in, screenshot
from tests.e2e.conftest import Server


def test_login_redirects_back_and_shows_layout(page: Page) -> None:
    page.goto("/dashboard/profile")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next=%2Fdashboard%2Fprofile$"))
    expect(page.get_by_role("status").filter(has_text="Please log in to see this page.")).to_be_visible()
    expect(page.get_by_role("link", name="Create an account")).to_be_visible()
    expect(page.get_by_role("link", name="Lost password?")).to_be_visible()
    screenshot(page, "login")

    page.get_by_label("Email").fill("admin")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("alert")).to_contain_text("incorrect username or password")

    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/profile$"))
    expect(page.get_by_text("Logged in as admin")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("[TEST] Racetrack Dashboard")
    expect(page.get_by_role("banner")).to_have_css("background-color", "rgb(27, 94, 32)")
    nav = page.get_by_role("navigation", name="Main")
    names = ["Jobs", "Deployments", "Graph", "Portfolio", "Activity", "Profile", "Administration", "Docs"]
    expect(nav.get_by_role("link")).to_have_text(names)
    expect(nav.get_by_role("button", name="Logout")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_contain_text(re.compile(r"Racetrack version \S+ \(.+\)"))
    screenshot(page, "profile")


def test_profile_copy_and_regenerate_token_without_reload(page: Page) -> None:
    log_in(page, path="/dashboard/profile")
    expect(page.get_by_role("heading", name="User Profile")).to_contain_text("admin")
    token_box = page.get_by_label("Auth Token")
    old_token = token_box.input_value()
    assert old_token.startswith("rt_u_")
    expect(page.get_by_label("Log in with the CLI")).to_have_value(
        re.compile(rf"^racetrack login --remote http://\S+/lifecycle {old_token}$")
    )
    expect(page.get_by_role("textbox", name="Set the current remote")).to_have_value(
        re.compile(r"^racetrack set remote http://")
    )

    page.get_by_role("button", name="Copy token").click()
    expect(page.get_by_text("Copied to clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == old_token

    page.evaluate("window.__same_page = true")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Regenerate Token").click()
    expect(page.get_by_text("Your token has been regenerated.")).to_be_visible()
    expect(page.get_by_label("Auth Token")).not_to_have_value(old_token)
    assert page.evaluate("window.__same_page") is True  # no reload
    new_token = page.get_by_label("Auth Token").input_value()
    page.reload()  # the refreshed cookie keeps the session
    expect(page.get_by_label("Auth Token")).to_have_value(new_token)
    screenshot(page, "profile-regenerated")


def test_register_activate_change_password_and_log_out(page: Page, server: Server) -> None:
    username, password, new_password = (
        f"user-{uuid.uuid4().hex[:8]}@example.com",
        "Str0ng-pass-1",
        "N3w-secret-pw",
    )
    page.goto("/dashboard/register")
    page.get_by_label("Email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("An administrator must activate it")).to_be_visible()
    admin = httpx.post(
        f"{server.remote}/api/v1/users/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    activated = httpx.patch(
        f"{server.remote}/api/v1/users/{username}",
        json={"is_active": True},
        headers={"X-Racetrack-Auth": admin.json()["token"]},
    )
    assert activated.status_code == 200, activated.text

    log_in(page, username=username, password=password, path="/dashboard/profile")
    expect(page.get_by_role("heading", name="User Profile")).not_to_contain_text("admin")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration")
    ).to_have_count(0)
    page.get_by_role("link", name="Change Password").click()
    expect(page.get_by_role("list", name="Password rules")).to_contain_text("at least 8 characters")
    page.get_by_label("Old password").fill(password)
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password confirmation").fill(new_password)
    screenshot(page, "change-password")
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(re.compile(r"/dashboard/profile$"))
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Logout").click()
    expect(page).to_have_url(re.compile(r"/dashboard/login$"))
    expect(page.get_by_text("You're logged out.")).to_be_visible()
    page.goto("/dashboard/profile")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))
    screenshot(page, "logged-out")
    page.get_by_label("Email").fill(username)
    page.get_by_label("Password").fill(new_password)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/profile$"))


def test_register_rejects_mismatch_and_lists_rules(page: Page) -> None:
    page.goto("/dashboard/login")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("someone@example.com")
    page.get_by_label("Password", exact=True).fill("Str0ng-pass-1")
    page.get_by_label("Password confirmation").fill("different-pass-2")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Passwords do not match.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/dashboard/register$"))
    page.get_by_label("Password confirmation").fill("Str0ng-pass-1")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/dashboard/login$"))
    expect(page.get_by_text("An administrator must activate it")).to_be_visible()
    screenshot(page, "registered")


def test_phone_width_collapses_navigation(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Toggle menu").click()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Docs")).to_be_visible()
    screenshot(page, "phone-menu")
    nav.get_by_role("link", name="Docs").click()
    expect(page.get_by_role("heading", name="Documentation")).to_be_visible()


def test_docs_are_public_and_keyboard_reachable(page: Page) -> None:
    page.goto("/dashboard/docs/")
    expect(page.get_by_role("heading", name="Documentation")).to_be_visible()
    page.get_by_role("link", name="Lifecycle").first.click()
    expect(page.get_by_role("article")).to_contain_text("Lifecycle")
    expect(page.locator("article table").first).to_be_visible()
    screenshot(page, "docs-page")
    page.goto("/dashboard/login")  # keyboard only: the e-mail field has the focus
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.goto("/dashboard/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_expired_session_returns_to_login_and_then_to_the_page(page: Page, server: Server) -> None:
    username, password = f"expiring-{uuid.uuid4().hex[:6]}@example.com", "a-long-enough-passphrase"
    api = f"{server.remote}/api/v1"
    admin = httpx.post(f"{api}/users/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()
    httpx.post(f"{api}/users/register", json={"username": username, "password": password})
    httpx.patch(
        f"{api}/users/{username}", json={"is_active": True}, headers={"X-Racetrack-Auth": admin["token"]}
    )
    log_in(page, username, password, path="/dashboard/activity")
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "X-Racetrack-Auth")

    # the session's token stops working (regenerated elsewhere, e.g. from the CLI)
    assert httpx.post(f"{api}/auth/token/user/regenerate", headers={"X-Racetrack-Auth": session}).is_success
    page.goto("/dashboard/portfolio?q=adder")

    expect(page).to_have_url(re.compile(r"/dashboard/login\?next=%2Fdashboard%2Fportfolio%3Fq%3Dadder$"))
    page.get_by_label("Email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/portfolio\?q=adder$"))
    expect(page.get_by_role("heading", name="Portfolio")).to_be_visible()
