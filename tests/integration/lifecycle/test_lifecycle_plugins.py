"""``/plugin``: install ZIP bundles (raw body and multipart), list them with the built-in ones,
uninstall, config, docs, run_action, job type versions, download; staff-only writes; a bundle
that fails to load is refused and nothing is stored; installs show up in the activity log."""

from __future__ import annotations

from pathlib import Path

import pytest

from racetrack.lifecycle.api.deps import get_state
from tests.integration.lifecycle.lifecycle_support import TestClient, deploy, manifest, register_user
from tests.integration.plugins.plugin_kit import make_bundle

API = "/lifecycle/api/v1"


@pytest.fixture
def bundles(tmp_path: Path) -> Path:
    return tmp_path / "plugin-sources"


def upload(
    client: TestClient, auth: dict[str, str], data: bytes, filename: str, replace: bool = False
) -> dict:
    response = client.post(
        f"{API}/plugin/upload/{filename}",
        content=data,
        params={"replace": "1" if replace else "0"},
        headers={**auth, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_an_uploaded_bundle_is_listed_and_provides_its_job_type(
    client: TestClient, auth: dict[str, str], bundles: Path
) -> None:
    manifest = upload(
        client, auth, make_bundle(bundles, "golang-job-type", "1.2.0"), "golang-job-type-1.2.0.zip"
    )
    assert (manifest["name"], manifest["version"], manifest["category"], manifest["error"]) == (
        "golang-job-type",
        "1.2.0",
        "job-type",
        None,
    )
    listed = client.get(f"{API}/plugin", headers=auth).json()
    assert [(p["name"], p["version"], p["builtin"]) for p in listed] == [
        ("fakes", "unknown", True),
        ("golang-job-type", "1.2.0", False),
    ]
    assert client.get(f"{API}/plugin/job_type/versions", headers=auth).json() == [
        "fake:1.0.0",
        "golang:1.2.0",
    ]
    assert client.get(f"{API}/plugin/golang-job-type/docs", headers=auth).json() == "# golang\nhello"
    ran = client.post(f"{API}/plugin/golang-job-type/run?x=1", json={"y": [2]}, headers=auth)
    assert ran.json() == {"echo": {"x": "1", "y": [2]}, "greeting": "hello"}
    tree = client.get(f"{API}/plugin/tree", headers=auth).json()
    assert {
        "name": "golang-job-type",
        "version": "1.2.0",
        "job_types": [{"name": "golang:1.2.0", "active_jobs": 0}],
    } in tree["job_type_plugins_data"]
    activity = client.get(f"{API}/audit/activity", headers=auth).json()["events"]
    assert activity[0]["explanation"] == "Plugin golang-job-type 1.2.0 installed by admin"


def test_multipart_upload_and_replace_drop_the_other_versions(
    client: TestClient, auth: dict[str, str], bundles: Path
) -> None:
    upload(client, auth, make_bundle(bundles / "a", "golang-job-type", "1.0.0"), "a.zip")
    upload(client, auth, make_bundle(bundles / "b", "golang-job-type", "1.1.0"), "b.zip")
    assert client.get(f"{API}/plugin/job_type/versions", headers=auth).json() == [
        "fake:1.0.0",
        "golang:1.0.0",
        "golang:1.1.0",
    ]
    data = make_bundle(bundles / "c", "golang-job-type", "2.0.0")
    response = client.post(
        f"{API}/plugin/upload?replace=1",
        files={"file": ("golang.zip", data, "application/zip")},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    assert client.get(f"{API}/plugin/job_type/versions", headers=auth).json() == [
        "fake:1.0.0",
        "golang:2.0.0",
    ]


def test_a_bundle_that_fails_to_load_is_refused_and_nothing_is_stored(
    client: TestClient, auth: dict[str, str], bundles: Path, app: object
) -> None:
    broken = "class Plugin:\n    def __init__(self):\n        raise RuntimeError('no registry configured')\n"
    response = client.post(
        f"{API}/plugin/upload/broken-1.0.0.zip",
        content=make_bundle(bundles, "broken", "1.0.0", plugin_py=broken),
        headers=auth,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "plugin broken 1.0.0 failed to load: no registry configured"
    store = get_state_of(client).plugins.store
    assert store is not None and store.bundles() == []
    assert [p["name"] for p in client.get(f"{API}/plugin", headers=auth).json()] == ["fakes"]


def get_state_of(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.lifecycle  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("filename", "data", "error"),
    [
        ("plugin.tar.gz", b"PK", "a plugin is uploaded as a .zip file, got 'plugin.tar.gz'"),
        ("plugin.zip", b"not a zip", "plugin bundle is not a ZIP file: File is not a zip file"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(
    client: TestClient, auth: dict[str, str], filename: str, data: bytes, error: str
) -> None:
    response = client.post(f"{API}/plugin/upload/{filename}", content=data, headers=auth)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_uninstall_config_and_download(client: TestClient, auth: dict[str, str], bundles: Path) -> None:
    data = make_bundle(bundles, "golang-job-type", "1.2.0")
    upload(client, auth, data, "golang-job-type-1.2.0.zip")
    config_url = f"{API}/plugin/golang-job-type/1.2.0/config"
    assert client.get(config_url, headers=auth).json() == ""
    assert (
        client.put(config_url, json={"config_data": "registry: r.example\n"}, headers=auth).status_code == 200
    )
    assert client.get(config_url, headers=auth).json() == "registry: r.example\n"
    downloaded = client.get(f"{API}/plugin/golang-job-type/1.2.0/download", headers=auth)
    assert downloaded.content == data
    assert downloaded.headers["content-disposition"] == 'attachment; filename="golang-job-type-1.2.0.zip"'

    assert client.delete(f"{API}/plugin/golang-job-type/1.2.0", headers=auth).status_code == 200
    assert client.get(f"{API}/plugin/job_type/versions", headers=auth).json() == ["fake:1.0.0"]
    missing = client.delete(f"{API}/plugin/golang-job-type/1.2.0", headers=auth)
    assert (missing.status_code, missing.json()["error"]) == (
        404,
        "plugin golang-job-type 1.2.0 is not installed",
    )
    builtin = client.delete(f"{API}/plugin/fakes/1.0.0", headers=auth)
    assert builtin.status_code == 400 and "is built in and cannot be uninstalled" in builtin.json()["error"]
    activity = client.get(f"{API}/audit/activity", headers=auth).json()["events"]
    assert activity[0]["explanation"] == "Plugin golang-job-type 1.2.0 uninstalled by admin"


def test_delete_all_removes_every_bundle(client: TestClient, auth: dict[str, str], bundles: Path) -> None:
    upload(client, auth, make_bundle(bundles / "a", "first", "1.0.0", job_type="first"), "a.zip")
    upload(client, auth, make_bundle(bundles / "b", "second", "1.0.0", job_type="second"), "b.zip")
    response = client.delete(f"{API}/plugin/all", headers=auth)
    assert sorted(response.json()["removed"]) == ["first-1.0.0", "second-1.0.0"]
    assert [p["name"] for p in client.get(f"{API}/plugin", headers=auth).json()] == ["fakes"]


def test_changes_are_for_staff_and_the_list_for_everyone_logged_in(
    client: TestClient, auth: dict[str, str], bundles: Path
) -> None:
    user = register_user(client, auth, "dev@example.com")
    client.patch(f"{API}/users/dev@example.com", json={"is_staff": False}, headers=auth)
    data = make_bundle(bundles, "golang-job-type", "1.2.0")
    refused = client.post(f"{API}/plugin/upload/g.zip", content=data, headers=user)
    assert refused.status_code == 401
    assert refused.json()["error"] == "User dev@example.com is not a staff member"
    assert client.get(f"{API}/plugin", headers=user).status_code == 200
    assert client.get(f"{API}/plugin", headers={}).status_code == 401
    upload(client, auth, data, "g.zip")
    for method, path in [
        ("DELETE", "/plugin/golang-job-type/1.2.0"),
        ("DELETE", "/plugin/all"),
        ("GET", "/plugin/golang-job-type/1.2.0/config"),
        ("GET", "/plugin/golang-job-type/1.2.0/download"),
        ("POST", "/plugin/golang-job-type/run"),
    ]:
        assert client.request(method, f"{API}{path}", headers=user).status_code == 401, path


def test_another_lifecycle_process_sees_an_install_after_its_status_loop_runs(
    client: TestClient, auth: dict[str, str], bundles: Path, make_app: object
) -> None:
    other = make_app()  # type: ignore[operator]
    upload(client, auth, make_bundle(bundles, "golang-job-type", "1.2.0"), "g.zip")
    other_engine = get_state(_Request(other)).plugins
    assert "golang:1.2.0" not in other_engine.job_types()
    assert other_engine.reload_if_changed() is True
    assert "golang:1.2.0" in other_engine.job_types()


class _Request:
    def __init__(self, app: object) -> None:
        self.app = app


VALIDATING_PLUGIN = """
from racetrack.plugins.interfaces import LocalRecipe


class JobType:
    name, version = "strict", "1.0.0"

    def local_recipe(self, manifest, workspace):
        return LocalRecipe(python="3.11", packages=[], copy_packages=[], requirements_files=[], command=[])


class Plugin:
    def racetrack_job_types(self, register, context):
        register(JobType())

    def validate_job_manifest(self, manifest, job_type):
        if not (manifest.labels or {}).get("team"):
            raise ValueError(f"{job_type} jobs need a 'team' label")
"""


def test_the_job_types_plugin_may_refuse_a_manifest_with_the_reason(
    client: TestClient, auth: dict[str, str], bundles: Path
) -> None:
    upload(
        client, auth, make_bundle(bundles, "strict-job-type", "1.0.0", plugin_py=VALIDATING_PLUGIN), "s.zip"
    )
    refused = client.post(
        f"{API}/deploy", json={"manifest": manifest(name="adder", jobtype="strict:1.0.0")}, headers=auth
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == (
        "invalid manifest according to job type rules: strict:1.0.0 jobs need a 'team' label"
    )
    accepted = deploy(client, auth, name="adder", jobtype="strict:1.0.0", labels={"team": "ml"})
    assert accepted["status"] == "done", accepted
