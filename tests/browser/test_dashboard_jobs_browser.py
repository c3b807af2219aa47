"""The Jobs and Deployments pages in a real browser against a real ``racetrack up``: a job
deployed elsewhere appears in the tree live, its details, logs, manifest edit with redeploy,
the deployments list and detail, the deploy form, and deleting with confirmation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Dialog, Page, Request, expect

from racetrack.client.context import pack_build_context
from tests.browser.conftest import ADMIN_PASSWORD, GIT_TOKEN, GIT_USERNAME, log_in, screenshot
from tests.e2e.conftest import Server
from tests.integration.builder.git_server import GitServer

SAMPLE = Path(__file__).parents[2] / "samples" / "python-class"
DEPLOY_TIMEOUT = 300_000  # ms: a first deployment builds a virtualenv


def _api_deploy(server: Server, version: str) -> str:
    """Deploy samples/python-class as ``adder VERSION`` through the API, with a build context."""
    token = httpx.post(
        f"{server.remote}/api/v1/users/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    ).json()["token"]
    manifest = yaml.safe_load((SAMPLE / "job.yaml").read_text())
    manifest["version"] = version
    response = httpx.post(
        f"{server.remote}/api/v1/deploy",
        json={"manifest": manifest, "build_context": pack_build_context(SAMPLE).encoded, "force": True},
        headers={"X-Racetrack-Auth": token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _accept(expected: str) -> Callable[[Dialog], None]:
    def handler(dialog: Dialog) -> None:
        assert dialog.message == expected, dialog.message
        dialog.accept()

    return handler


@pytest.mark.timeout(900)
def test_jobs_deployments_and_deploy_form(page: Page, server: Server, git_server: GitServer) -> None:
    log_in(page)
    expect(page.get_by_role("heading", name=re.compile("^Jobs"))).to_be_visible()
    screenshot(page, "jobs-empty")

    # a job deployed elsewhere appears in the tree without a reload
    _api_deploy(server, "0.0.7")
    tree = page.locator("#jobs-tree")
    expect(tree.get_by_text("adder")).to_be_visible(timeout=DEPLOY_TIMEOUT)
    expect(tree.get_by_role("img", name="Status: running")).to_be_visible(timeout=DEPLOY_TIMEOUT)
    expect(page.locator("#jobs-count")).to_have_text("1")

    # filter, then clear
    page.get_by_label("Filter jobs").fill("nothing-matches")
    expect(tree.get_by_text("No matching jobs found")).to_be_visible()
    page.get_by_role("button", name="Clear filter").click()
    expect(tree.get_by_role("link", name=re.compile("v0.0.7"))).to_be_visible()
    page.get_by_label("Sort").select_option("status")
    expect(page).to_have_url(re.compile(r"sort=status"))
    expect(tree.get_by_role("link", name=re.compile("adder v0.0.7"))).to_be_visible()

    # details in the right pane
    tree.get_by_role("link", name=re.compile("v0.0.7")).click()
    expect(page).to_have_url(re.compile(r"/dashboard/jobs/adder/0.0.7$"))
    pane = page.locator("#job-pane")
    expect(pane.get_by_role("heading", name="adder v0.0.7")).to_be_visible()
    expect(pane.get_by_role("link", name="Open")).to_have_attribute("target", "_blank")
    expect(pane.get_by_text("sample@example.com")).to_be_visible()  # in the manifest
    screenshot(page, "job-detail")

    # logs
    pane.get_by_role("link", name="Build logs").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Build logs of adder 0.0.7")).to_be_visible()
    dialog.get_by_role("button", name="Close logs").click()
    pane.get_by_role("link", name="Runtime logs").click()
    expect(dialog.get_by_role("heading", name="Runtime logs of adder 0.0.7")).to_be_visible()
    screenshot(page, "job-runtime-logs")
    dialog.get_by_role("button", name="Close logs").click()

    # manifest edit: an invalid one is refused, a valid one is saved and redeployed
    pane.get_by_role("link", name="Edit manifest").click()
    editor = pane.get_by_label("Manifest YAML")
    original = editor.input_value()
    editor.fill(original.replace("version: 0.0.7", "version: 0.0.8"))
    pane.get_by_role("button", name="Save").click()
    expect(pane.get_by_role("alert")).to_contain_text("must stay adder and 0.0.7")
    editor.fill(original + "labels:\n  edited: from-dashboard\n")
    pane.get_by_role("button", name="Save").click()
    expect(page.locator("#toasts")).to_contain_text("Manifest saved.")
    progress = pane.locator(".deployment-progress")
    expect(progress).to_contain_text("Redeploy of adder 0.0.7")
    expect(progress).to_contain_text(re.compile("done in|failed"), timeout=DEPLOY_TIMEOUT)
    assert "done in" in progress.inner_text(), progress.inner_text()
    pane.get_by_role("link", name="Refresh details").click()
    expect(pane.get_by_text("edited: from-dashboard", exact=True)).to_be_visible()

    # deployments list and detail
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deployments").click()
    expect(page.get_by_role("link", name="adder 0.0.7, by admin").first).to_be_visible()
    screenshot(page, "deployments")
    page.get_by_role("link", name="adder 0.0.7, by admin").first.click()
    expect(page.get_by_role("heading", name="Deployment of adder 0.0.7")).to_be_visible()
    expect(page.locator(".deployment-progress")).to_contain_text("done in")
    screenshot(page, "deployment-detail")

    # the deploy form: invalid YAML, then a job from a private git repository; a second tab
    # on the jobs page sees it appear without a reload
    watcher = page.context.new_page()
    watcher.goto("/dashboard/")
    page.goto("/dashboard/deployments")
    page.get_by_role("link", name="Deploy a new job").click()
    screenshot(page, "deploy-form")
    page.get_by_label("Manifest YAML").fill("- not\n- a mapping\n")
    page.get_by_role("button", name="Deploy").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid Manifest YAML")
    manifest = (
        "name: adder-from-git\n"
        "owner_email: owner@example.com\n"
        "jobtype: python3:latest\n"
        "version: 0.1.0\n"
        f"git:\n  remote: {git_server.url}/adder.git\n"
        "jobtype_extra:\n  entrypoint_path: adder.py\n  entrypoint_class: AdderModel\n"
    )
    page.get_by_label("Manifest YAML").fill(manifest)
    page.get_by_label("Git username").fill(GIT_USERNAME)
    page.get_by_label("Git token").fill(GIT_TOKEN)
    page.get_by_role("button", name="Deploy").click()
    expect(page).to_have_url(re.compile(r"/dashboard/deployments/[0-9a-f-]+$"))
    expect(page.get_by_text("Job deployment requested.")).to_be_visible()
    expect(page.get_by_role("heading", name="Deployment of adder-from-git 0.1.0")).to_be_visible()
    expect(page.locator(".deployment-progress")).to_contain_text("done in", timeout=DEPLOY_TIMEOUT)
    expect(watcher.locator("#jobs-tree").get_by_text("adder-from-git")).to_be_visible(timeout=10_000)
    watcher.close()
    assert GIT_TOKEN not in page.content()

    # delete with confirmation
    page.goto("/dashboard/jobs/adder/0.0.7")
    page.once("dialog", _accept('Are you sure you want to delete the job "adder 0.0.7"?'))
    page.locator("#job-pane").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_text("Job adder 0.0.7 deleted.")).to_be_visible()
    expect(page.locator("#jobs-tree").get_by_role("link", name=re.compile("v0.0.7"))).to_have_count(0)
    screenshot(page, "jobs-after-delete")


def test_jobs_page_fits_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page)
    expect(page.get_by_label("Filter jobs")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px screen"
    screenshot(page, "jobs-phone")


def test_live_updates_can_be_turned_off_and_the_choice_is_remembered(page: Page) -> None:
    streams: list[str] = []

    def opened(request: Request) -> None:
        if request.url.endswith("/events"):
            streams.append(request.url)

    page.on("request", opened)
    log_in(page)
    live = page.get_by_label("Live updates")
    expect(live).to_be_checked()
    assert len(streams) == 1, "the jobs page opens one event stream"

    live.uncheck()
    page.reload(wait_until="load")
    expect(page.get_by_label("Live updates")).not_to_be_checked()
    assert len(streams) == 1, "with live updates off, no event stream is opened"

    with page.expect_request(lambda request: request.url.endswith("/events")):
        with page.expect_request(lambda request: "/jobs-tree" in request.url):
            page.get_by_label("Live updates").check()  # reconnects and catches up at once
    page.reload(wait_until="load")
    expect(page.get_by_label("Live updates")).to_be_checked()


def test_jobs_list_width_follows_the_splitter_and_is_remembered(page: Page) -> None:
    log_in(page)
    pane = page.locator(".jobs-tree-pane")
    splitter = page.get_by_role("separator", name="Resize the jobs list")
    before = pane.bounding_box()
    assert before is not None

    splitter.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    after_keys = pane.bounding_box()
    assert after_keys is not None and round(after_keys["width"] - before["width"]) == 40

    box = splitter.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 100, box["y"] + 20, steps=5)
    page.mouse.up()
    dragged = pane.bounding_box()
    assert dragged is not None and round(dragged["width"] - after_keys["width"]) == 100
    assert splitter.get_attribute("aria-valuenow") == str(round(dragged["width"]))

    page.reload()
    remembered = page.locator(".jobs-tree-pane").bounding_box()
    assert remembered is not None and round(remembered["width"]) == round(dragged["width"])
