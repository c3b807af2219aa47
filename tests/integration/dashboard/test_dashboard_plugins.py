"""Plugins on the Administration page (upload, delete, download, config editor) and the
plugins' pages of the Docs tab (real app, real database, real ZIP bundles)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.integration.dashboard.dashboard_support import csrf_of, form_login, page_csrf
from tests.integration.dashboard.test_dashboard_admin import BOB, BOB_PASSWORD, add_user, auth
from tests.integration.lifecycle.lifecycle_support import TestClient
from tests.integration.plugins.plugin_kit import make_bundle

ADMIN = "/dashboard/administration"
PLUGINS = f"{ADMIN}/plugins"
BROKEN = "class Plugin:\n    def __init__(self):\n        raise ValueError('registry password missing')\n"


def upload(
    client: TestClient,
    data: bytes,
    filename: str = "plugin.zip",
    replace: bool = False,
    token: str | None = None,
) -> tuple[int, str]:
    """Upload through the Administration page's form; (status, final page)."""
    form = {"csrf_token": token if token is not None else page_csrf(client, ADMIN)}
    if replace:
        form["replace"] = "1"
    response = client.post(
        f"{PLUGINS}/upload", data=form, files={"file": (filename, data, "application/zip")}
    )
    return response.status_code, response.text


def plugin_items(page: str) -> list[str]:
    """The labels of the entries of the "Active plugins" list."""
    return re.findall(r'<li aria-label="Plugin ([^"]+)">', page)


def test_upload_lists_the_plugin_and_records_the_event(client: TestClient, tmp_path: Path) -> None:
    form_login(client)
    status, page = upload(client, make_bundle(tmp_path, "golang-job-type", "1.2.0"))
    assert status == 200, page
    assert "Plugin golang-job-type 1.2.0 installed." in page
    assert "golang-job-type 1.2.0" in plugin_items(page)
    assert "Version 1.2.0" in page and "category-job-type" in page
    assert f'href="{PLUGINS}/golang-job-type/1.2.0/config"' in page
    assert 'Are you sure you want to delete the plugin "golang-job-type 1.2.0"?' in page
    assert "golang:1.2.0" in page  # its job type in the job types tree
    entries = dict(re.findall(r'<li aria-label="Plugin ([^"]+)">(.*?)</li>', page, re.S))
    assert "built-in" not in entries["golang-job-type 1.2.0"]
    builtin = [body for label, body in entries.items() if label != "golang-job-type 1.2.0"]
    assert builtin and all("built-in" in body and "Delete" not in body for body in builtin)
    activity = client.get("/dashboard/activity").text
    assert "Plugin golang-job-type 1.2.0 installed by admin" in activity


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_upload_with_replace_drops_the_other_versions(client: TestClient, tmp_path: Path) -> None:
    form_login(client)
    upload(client, make_bundle(tmp_path / "a", "golang-job-type", "1.0.0"))
    status, page = upload(client, make_bundle(tmp_path / "b", "golang-job-type", "2.0.0"), replace=True)
    assert status == 200 and "Plugin golang-job-type 2.0.0 installed." in page
    items = plugin_items(page)
    assert "golang-job-type 2.0.0" in items and "golang-job-type 1.0.0" not in items


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_plugin_failing_to_load_is_refused_with_its_error(client: TestClient, tmp_path: Path) -> None:
    form_login(client)
    status, page = upload(client, make_bundle(tmp_path, "broken", "1.0.0", plugin_py=BROKEN))
    assert status == 400
    alert = re.search(r'<p class="form-error" role="alert">(.*?)</p>', page, re.S)
    assert alert and "plugin broken 1.0.0 failed to load" in alert.group(1)
    assert "registry password missing" in alert.group(1)
    assert not any(item.startswith("broken ") for item in plugin_items(page))
    assert not any(item.startswith("broken ") for item in plugin_items(client.get(ADMIN).text))
    assert client.get(f"{PLUGINS}/broken/1.0.0/download").status_code == 404
    status, page = upload(client, b"not a zip at all", filename="notes.txt")
    assert status == 400 and "a plugin is uploaded as a .zip file" in page


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_upload_over_the_size_limit_is_refused(make_app: Callable[..., FastAPI], tmp_path: Path) -> None:
    with TestClient(make_app(max_plugin_bytes=1024)) as client:
        form_login(client)
        status, page = upload(client, make_bundle(tmp_path, "golang-job-type", "1.0.0") + b"\0" * 2048)
        assert status == 413
        assert "the plugin bundle exceeds" in page and "MAX_PLUGIN_BYTES" in page
        assert not any(item.startswith("golang-job-type") for item in plugin_items(page))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_plugin_forms_refuse_posts_without_csrf(client: TestClient, tmp_path: Path) -> None:
    form_login(client)
    bundle = make_bundle(tmp_path, "golang-job-type", "1.0.0")
    response = client.post(f"{PLUGINS}/upload", files={"file": ("p.zip", bundle, "application/zip")})
    assert response.status_code == 403 and "CSRF" in response.text
    status, _ = upload(client, bundle, token="0" * 64)
    assert status == 403
    assert not any(item.startswith("golang-job-type") for item in plugin_items(client.get(ADMIN).text))
    upload(client, bundle)
    for path in (f"{PLUGINS}/golang-job-type/1.0.0/delete", f"{PLUGINS}/golang-job-type/1.0.0/config"):
        assert client.post(path, data={"config": "x: 1"}).status_code == 403, path
    assert "golang-job-type 1.0.0" in plugin_items(client.get(ADMIN).text)


def test_plugin_routes_refuse_non_staff(client: TestClient, tmp_path: Path) -> None:
    add_user(client, auth(client))
    form_login(client)
    upload(client, make_bundle(tmp_path, "golang-job-type", "1.0.0"))
    client.cookies.clear()
    form_login(client, BOB, BOB_PASSWORD)
    token = csrf_of(client.get("/dashboard/profile").text)
    base = f"{PLUGINS}/golang-job-type/1.0.0"
    for path in (f"{base}/config", f"{base}/download"):
        response = client.get(path)
        assert response.status_code == 403 and "administrators" in response.text, path
    for path in (f"{base}/config", f"{base}/delete"):
        response = client.post(path, data={"csrf_token": token, "config": "x: 1"}, follow_redirects=False)
        assert response.status_code == 403, path
    status, page = upload(client, make_bundle(tmp_path / "b", "other", "1.0.0"), token=token)
    assert status == 403 and "Traceback" not in page
    client.cookies.clear()
    for path in (f"{base}/config", f"{base}/download"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and "/dashboard/login?next=" in response.headers["location"]


def test_config_is_read_saved_and_the_bundle_downloaded(client: TestClient, tmp_path: Path) -> None:
    form_login(client)
    bundle = make_bundle(tmp_path, "golang-job-type", "1.0.0")
    upload(client, bundle)
    path = f"{PLUGINS}/golang-job-type/1.0.0/config"
    page = client.get(path).text
    assert "YAML configuration of plugin golang-job-type 1.0.0" in page
    assert '<label for="plugin-config">Configuration (YAML)</label>' in page
    text = "registry: docker.example.com\nreplicas: 2\n"
    response = client.post(path, data={"config": text, "csrf_token": csrf_of(page)})
    assert response.status_code == 200
    assert "Plugin&#39;s config saved." in response.text or "Plugin's config saved." in response.text
    assert "registry: docker.example.com" in client.get(path).text
    download = client.get(f"{PLUGINS}/golang-job-type/1.0.0/download")
    assert download.status_code == 200 and download.content == bundle
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"] == 'attachment; filename="golang-job-type-1.0.0.zip"'
    assert client.get(f"{PLUGINS}/nothing/9.9.9/config").status_code == 404


def test_delete_removes_the_plugin(client: TestClient, tmp_path: Path) -> None:
    form_login(client)
    upload(client, make_bundle(tmp_path, "golang-job-type", "1.0.0"))
    response = client.post(
        f"{PLUGINS}/golang-job-type/1.0.0/delete", data={"csrf_token": page_csrf(client, ADMIN)}
    )
    assert response.status_code == 200
    assert "Plugin golang-job-type 1.0.0 deleted." in response.text
    assert not any(item.startswith("golang-job-type") for item in plugin_items(response.text))
    assert "Plugin golang-job-type 1.0.0 uninstalled by admin" in client.get("/dashboard/activity").text
    again = client.post(
        f"{PLUGINS}/golang-job-type/1.0.0/delete", data={"csrf_token": page_csrf(client, ADMIN)}
    )
    assert "Plugin golang-job-type 1.0.0 not deleted" in again.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_docs_list_and_render_plugin_pages_without_login(client: TestClient, tmp_path: Path) -> None:
    form_login(client)
    upload(client, make_bundle(tmp_path, "golang-job-type", "1.0.0", greeting="Hi <script>x</script>"))
    client.cookies.clear()
    index = client.get("/dashboard/docs/")
    assert index.status_code == 200
    assert '<a href="/dashboard/docs/plugin/golang-job-type">Plugin: golang-job-type</a>' in index.text
    page = client.get("/dashboard/docs/plugin/golang-job-type")
    assert page.status_code == 200
    assert "<h1>golang</h1>" in page.text
    assert "<script>x</script>" not in page.text and "&lt;script&gt;" in page.text
    missing = client.get("/dashboard/docs/plugin/nothing-here")
    assert missing.status_code == 404 and "plugin nothing-here is not installed" in missing.text
