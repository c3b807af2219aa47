"""``racetrack plugin ...`` against the fake Lifecycle (and a fake GitHub API) on loopback."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from racetrack.core.plugin_bundle import read_bundle

from .conftest import Cli, write_config
from .fake_lifecycle import ADMIN_TOKEN, JANE_TOKEN, FakeLifecycle, RecordedRequest
from .test_imports import loaded_modules, offenders

BUILD_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z$")


def plugin_zip(name: str = "demo", version: str = "1.0.0", extra: dict[str, str] | None = None) -> bytes:
    """A valid bundle built in memory, the same bytes for the same arguments."""
    files = {
        "plugin-manifest.yaml": f"name: {name}\nversion: {version}\n",
        "plugin.py": "class Plugin:\n    pass\n",
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


def send_bytes(handler: Any, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for key, value in {"Content-Type": "application/zip", **(headers or {})}.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@dataclass
class FakePluginLifecycle(FakeLifecycle):
    """The fake Lifecycle plus the plugin API, a file server and the GitHub releases API."""

    plugins: list[dict[str, Any]] = field(default_factory=list)
    job_type_versions: list[str] = field(default_factory=list)
    stored: dict[tuple[str, str], bytes] = field(default_factory=dict)
    upload_error: tuple[int, str] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    """Served at ``/files/<name>``; ``/redirect/<name>`` redirects there."""
    releases: list[dict[str, Any]] = field(default_factory=list)
    """What ``GET /github/repos/acme/demo/releases`` answers."""
    assets: dict[str, bytes] = field(default_factory=dict)
    """Served at ``/github/assets/<id>`` to ``Accept: application/octet-stream`` only."""

    def handle(self, request: RecordedRequest, handler: Any) -> tuple[int, Any]:
        path = request.path
        if path.startswith("/files/"):
            data = self.files.get(unquote(path.removeprefix("/files/")))
            if data is None:
                return 404, {"message": "Not Found"}
            send_bytes(handler, 200, data)
            return -1, None
        if path.startswith("/redirect/"):
            send_bytes(handler, 302, b"", {"Location": "/files/" + path.removeprefix("/redirect/")})
            return -1, None
        if path.startswith("/github/"):
            return self._github(request, handler)
        prefix = "/lifecycle/api/v1/plugin"
        if path == prefix or path.startswith(prefix + "/"):
            return self._plugin(request, handler)
        return super().handle(request, handler)

    def _github(self, request: RecordedRequest, handler: Any) -> tuple[int, Any]:
        route = request.path.removeprefix("/github/").split("/")
        if route == ["repos", "acme", "demo", "releases"]:
            return 200, self.releases
        if len(route) == 2 and route[0] == "assets" and route[1] in self.assets:
            if request.headers.get("accept") != "application/octet-stream":
                return 415, {"message": "ask for application/octet-stream"}
            send_bytes(handler, 200, self.assets[route[1]])
            return -1, None
        return 404, {"message": "Not Found"}

    def _plugin(self, request: RecordedRequest, handler: Any) -> tuple[int, Any]:
        route = [unquote(part) for part in request.path.split("/")[4:]]
        user = self.tokens.get(request.headers.get("x-racetrack-auth", ""))
        if user is None:
            return 401, {"error": "missing or invalid auth token", "type": "AuthenticationError"}
        method = request.method
        if route == ["plugin"] and method == "GET":
            return 200, self.plugins
        if route == ["plugin", "job_type", "versions"] and method == "GET":
            return 200, self.job_type_versions
        if len(route) == 4 and route[3] == "download" and method == "GET":
            data = self.stored.get((route[1], route[2]))
            if data is None:
                return 404, {
                    "error": f"plugin {route[1]} {route[2]} is not installed",
                    "type": "NotFoundError",
                }
            send_bytes(handler, 200, data)
            return -1, None
        if user != "admin@example.com":
            return 401, {"error": f"User {user} is not a staff member", "type": "PermissionDeniedError"}
        if len(route) == 3 and route[:2] == ["plugin", "upload"] and method == "POST":
            if self.upload_error is not None:
                status, message = self.upload_error
                return status, {"error": message, "type": "InvalidInputError"}
            manifest = read_bundle(request.body).manifest
            self.stored[(manifest.name, manifest.version)] = request.body
            return 200, manifest.model_dump()
        if len(route) == 3 and method == "DELETE":
            if self.stored.pop((route[1], route[2]), None) is None:
                return 404, {
                    "error": f"plugin {route[1]} {route[2]} is not installed",
                    "type": "NotFoundError",
                }
            return 200, None
        return 404, {"error": f"no route for {method} {request.path}", "type": "NotFoundError"}

    def uploads(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and "/plugin/upload/" in r.path]

    def github_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith("/github/")]


@pytest.fixture
def fake(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePluginLifecycle]:
    """The fake is the current remote, the admin is logged in, GitHub's API points to the fake."""
    server = FakePluginLifecycle().start()
    write_config(
        config_path, {"lifecycle_url": server.url, "user_auths": {server.lifecycle_url: ADMIN_TOKEN}}
    )
    monkeypatch.setenv("RACETRACK_GITHUB_API_URL", f"{server.url}/github")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    yield server
    server.stop()


def write_plugin(directory: Path, manifest: str = "name: demo\nversion: 1.2.3\n") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "plugin-manifest.yaml").write_text(manifest)
    (directory / "plugin.py").write_text("class Plugin:\n    pass\n")
    return directory


def zip_names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def zip_manifest(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        data = yaml.safe_load(archive.read("plugin-manifest.yaml"))
    assert isinstance(data, dict)
    return data


def assert_clean_error(result: Any, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


# -- bundle -----------------------------------------------------------------------------------------


def test_bundle_writes_name_version_zip_with_build_date_and_ignores_what_it_should(
    cli: Cli, tmp_path: Path
) -> None:
    workdir = write_plugin(tmp_path / "demo", "name: demo\nversion: 1.2.3\nurl: https://example.com\n")
    (workdir / "lib").mkdir()
    (workdir / "lib" / "helper.py").write_text("X = 1\n")
    (workdir / "lib" / "helper.pyc").write_bytes(b"\0")
    (workdir / "lib" / "__pycache__").mkdir()
    (workdir / "lib" / "__pycache__" / "helper.cpython-311.pyc").write_bytes(b"\0")
    (workdir / "old-0.1.0.zip").write_bytes(b"PK")
    (workdir / ".gitignore").write_text("*.log\n")
    (workdir / "secret.txt").write_text("x")
    (workdir / "data").mkdir()
    (workdir / "data" / "big.bin").write_bytes(b"\0" * 10)
    (workdir / "data" / "keep.json").write_text("{}")
    (workdir / ".racetrackignore").write_text("# comment\nsecret.txt\n/data\n+data/keep.json\n")

    result = cli("plugin", "bundle", str(workdir))

    assert result.exit_code == 0, result.output
    path = workdir / "demo-1.2.3.zip"
    assert result.stdout.strip() == f"Plugin demo 1.2.3 has been bundled to {path}"
    assert zip_names(path) == {"plugin-manifest.yaml", "plugin.py", "lib/helper.py", "data/keep.json"}
    manifest = zip_manifest(path)
    assert manifest["name"] == "demo" and manifest["version"] == "1.2.3"
    assert manifest["url"] == "https://example.com"
    assert BUILD_DATE.match(manifest["build_date"])
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("plugin.py").compress_type == zipfile.ZIP_DEFLATED
    assert read_bundle(path.read_bytes()).manifest.version == "1.2.3"


def test_bundle_defaults_to_the_current_directory(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(write_plugin(tmp_path / "demo"))
    result = cli("plugin", "bundle")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "demo-1.2.3.zip").is_file()


def test_bundle_plugin_version_out_dir_and_out_filename(cli: Cli, tmp_path: Path) -> None:
    workdir = write_plugin(tmp_path / "demo")
    out = tmp_path / "dist"

    result = cli("plugin", "bundle", str(workdir), "--out", str(out), "--plugin-version", "2.0.0-rc.1")
    assert result.exit_code == 0, result.output
    assert zip_manifest(out / "demo-2.0.0-rc.1.zip")["version"] == "2.0.0-rc.1"
    assert "Plugin demo 2.0.0-rc.1" in result.stdout

    result = cli("plugin", "bundle", str(workdir), "--out", str(out), "--out-filename", "custom")
    assert result.exit_code == 0, result.output
    assert zip_manifest(out / "custom.zip")["version"] == "1.2.3"
    assert str(out / "custom.zip") in result.stdout
    assert not list(workdir.glob("*.zip"))


def test_bundle_without_plugin_py_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    workdir = write_plugin(tmp_path / "demo")
    (workdir / "plugin.py").unlink()
    assert_clean_error(cli("plugin", "bundle", str(workdir)), "plugin.py not found")
    assert not list(workdir.glob("*.zip"))


def test_bundle_without_manifest_or_with_a_bad_version_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    workdir = write_plugin(tmp_path / "demo")
    assert_clean_error(
        cli("plugin", "bundle", str(workdir), "--plugin-version", "latest"),
        "invalid --plugin-version 'latest'",
    )
    (workdir / "plugin-manifest.yaml").unlink()
    assert_clean_error(cli("plugin", "bundle", str(workdir)), "plugin-manifest.yaml not found")


# -- install ----------------------------------------------------------------------------------------


def test_install_from_a_file_uploads_its_exact_bytes_with_the_auth_header(
    cli: Cli, fake: FakePluginLifecycle, tmp_path: Path
) -> None:
    data = plugin_zip("demo", "1.0.0", {"lib/x.py": "pass\n"})
    path = tmp_path / "my-demo.zip"
    path.write_bytes(data)

    result = cli("plugin", "install", str(path))

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Plugin demo 1.0.0 has been installed to {fake.lifecycle_url}"
    [upload] = fake.uploads()
    assert upload.path == "/lifecycle/api/v1/plugin/upload/my-demo.zip"
    assert upload.query == {"replace": "0"}
    assert upload.body == data
    assert upload.headers["content-type"] == "application/octet-stream"
    assert upload.headers["x-racetrack-auth"] == ADMIN_TOKEN
    assert fake.stored[("demo", "1.0.0")] == data


def test_install_with_replace_and_an_explicit_remote(
    cli: Cli, fake: FakePluginLifecycle, tmp_path: Path
) -> None:
    path = tmp_path / "demo.zip"
    path.write_bytes(plugin_zip())
    result = cli("plugin", "install", str(path), "--replace", "--remote", fake.lifecycle_url)
    assert result.exit_code == 0, result.output
    assert fake.uploads()[-1].query == {"replace": "1"}


def test_install_from_an_http_url_follows_redirects(cli: Cli, fake: FakePluginLifecycle) -> None:
    data = plugin_zip("demo", "1.1.0")
    fake.files["demo-1.1.0.zip"] = data

    result = cli("plugin", "install", f"{fake.url}/redirect/demo-1.1.0.zip")

    assert result.exit_code == 0, result.output
    [upload] = fake.uploads()
    assert upload.path.endswith("/plugin/upload/demo-1.1.0.zip")
    assert upload.body == data
    assert "Plugin demo 1.1.0 has been installed" in result.stdout


def test_install_from_an_http_url_that_fails_is_a_clear_error(cli: Cli, fake: FakePluginLifecycle) -> None:
    assert_clean_error(cli("plugin", "install", f"{fake.url}/files/missing.zip"), "404")
    assert fake.uploads() == []


def github_release(fake: FakePluginLifecycle, tag: str, **fields: Any) -> dict[str, Any]:
    """A release of acme/demo with a checksum file and the plugin ZIP as assets."""
    version = tag.removeprefix("v")
    asset_id = str(len(fake.assets) + 1)
    fake.assets[asset_id] = plugin_zip("demo", version)
    fake.files[f"demo-{version}.zip"] = fake.assets[asset_id]
    release = {
        "tag_name": tag,
        "name": f"Release {tag}",
        "draft": False,
        "prerelease": False,
        "assets": [
            {"name": "checksums.txt", "url": "", "browser_download_url": f"{fake.url}/files/none.txt"},
            {
                "name": f"demo-{version}.zip",
                "url": f"{fake.url}/github/assets/{asset_id}",
                "browser_download_url": f"{fake.url}/files/demo-{version}.zip",
            },
        ],
    }
    release.update(fields)
    return release


def add_releases(fake: FakePluginLifecycle) -> None:
    fake.releases = [
        github_release(fake, "v1.2.0"),
        github_release(fake, "v2.0.0", prerelease=True),
        github_release(fake, "v3.0.0", draft=True),
        github_release(fake, "1.10.0"),  # newer than 1.2.0 by SemVer, older by string order
        github_release(fake, "v1.11.0-rc.1"),  # a label makes it unstable even if not flagged
        {"tag_name": "nightly", "name": "nightly", "draft": False, "prerelease": False, "assets": []},
    ]


def test_install_from_github_takes_the_newest_stable_release_with_github_token(
    cli: Cli, fake: FakePluginLifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_releases(fake)
    monkeypatch.setenv("GITHUB_TOKEN", "gh-secret")

    result = cli("plugin", "install", "github.com/acme/demo")

    assert result.exit_code == 0, result.output
    assert "Plugin demo 1.10.0 has been installed" in result.stdout
    [upload] = fake.uploads()
    assert upload.body == plugin_zip("demo", "1.10.0")
    assert upload.path.endswith("/plugin/upload/demo-1.10.0.zip")
    listing, asset = fake.github_requests()
    assert listing.path == "/github/repos/acme/demo/releases"
    assert asset.path == "/github/assets/4"
    for request in (listing, asset):
        assert request.headers["authorization"] == "Bearer gh-secret"


def test_install_from_github_without_token_downloads_the_public_asset(
    cli: Cli, fake: FakePluginLifecycle
) -> None:
    add_releases(fake)
    result = cli("plugin", "install", "https://github.com/acme/demo")
    assert result.exit_code == 0, result.output
    assert fake.uploads()[0].body == plugin_zip("demo", "1.10.0")
    assert all("authorization" not in r.headers for r in fake.github_requests())
    assert fake.requests_to("GET", "/files/demo-1.10.0.zip")


def test_install_a_pinned_github_version_even_a_prerelease(cli: Cli, fake: FakePluginLifecycle) -> None:
    add_releases(fake)
    assert cli("plugin", "install", "github.com/acme/demo==1.2.0").exit_code == 0
    assert cli("plugin", "install", "github.com/acme/demo==2.0.0").exit_code == 0
    assert cli("plugin", "install", "github.com/acme/demo==1.10.0").exit_code == 0
    assert [read_bundle(u.body).manifest.version for u in fake.uploads()] == ["1.2.0", "2.0.0", "1.10.0"]


def test_install_from_github_errors_are_clear(cli: Cli, fake: FakePluginLifecycle) -> None:
    add_releases(fake)
    assert_clean_error(
        cli("plugin", "install", "github.com/acme/demo==9.9.9"), "GitHub release 9.9.9 of acme/demo not found"
    )
    assert_clean_error(
        cli("plugin", "install", "github.com/acme/demo==3.0.0"), "GitHub release 3.0.0 of acme/demo not found"
    )
    assert_clean_error(
        cli("plugin", "install", "github.com/acme/other"), "GitHub repository acme/other not found"
    )
    fake.releases = [r for r in fake.releases if r["prerelease"] or r["draft"]]
    assert_clean_error(cli("plugin", "install", "github.com/acme/demo"), "acme/demo has no stable release")
    assert_clean_error(cli("plugin", "install", "github.com/acme"), "Unknown plugin location")
    assert fake.uploads() == []


def test_install_refuses_a_corrupt_zip_before_contacting_lifecycle(
    cli: Cli, fake: FakePluginLifecycle, tmp_path: Path
) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(plugin_zip()[:-30])
    assert_clean_error(cli("plugin", "install", str(path)), "plugin bundle is not a ZIP file")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("plugin-manifest.yaml", "name: demo\nversion: 1.0.0\n")
    path.write_bytes(buffer.getvalue())
    assert_clean_error(cli("plugin", "install", str(path)), "plugin bundle has no plugin.py")
    assert fake.requests == []


def test_install_missing_file_or_unknown_location_is_a_clear_error(
    cli: Cli, fake: FakePluginLifecycle, tmp_path: Path
) -> None:
    assert_clean_error(
        cli("plugin", "install", str(tmp_path / "nope.zip")), f"plugin file {tmp_path / 'nope.zip'} not found"
    )
    assert_clean_error(cli("plugin", "install", "ftp:demo"), "Unknown plugin location: ftp:demo")
    assert fake.requests == []


def test_install_shows_the_server_error_message(cli: Cli, fake: FakePluginLifecycle, tmp_path: Path) -> None:
    path = tmp_path / "demo.zip"
    path.write_bytes(plugin_zip())
    fake.upload_error = (409, "plugin demo 1.0.0 is already installed; use --replace")
    result = cli("plugin", "install", str(path))
    assert_clean_error(result, "plugin demo 1.0.0 is already installed; use --replace")
    assert "409" in result.stderr


def test_install_by_a_non_staff_user_is_refused(
    cli: Cli, fake: FakePluginLifecycle, tmp_path: Path, config_path: Path
) -> None:
    write_config(config_path, {"lifecycle_url": fake.url, "user_auths": {fake.lifecycle_url: JANE_TOKEN}})
    path = tmp_path / "demo.zip"
    path.write_bytes(plugin_zip())
    assert_clean_error(cli("plugin", "install", str(path)), "User jane@example.com is not a staff member")
    assert fake.stored == {}


# -- uninstall --------------------------------------------------------------------------------------


def test_uninstall_deletes_that_version(cli: Cli, fake: FakePluginLifecycle) -> None:
    fake.stored[("demo", "1.0.0")] = plugin_zip()
    result = cli("plugin", "uninstall", "demo", "--version", "1.0.0")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Plugin demo 1.0.0 has been uninstalled from {fake.lifecycle_url}"
    assert fake.requests_to("DELETE", "/lifecycle/api/v1/plugin/demo/1.0.0")
    assert fake.stored == {}


def test_uninstall_of_an_unknown_plugin_shows_the_server_message(cli: Cli, fake: FakePluginLifecycle) -> None:
    assert_clean_error(
        cli("plugin", "uninstall", "demo", "--version", "9.0.0"), "plugin demo 9.0.0 is not installed"
    )


# -- list -------------------------------------------------------------------------------------------

PLUGINS = [
    {
        "name": "python3-job-type",
        "version": "2.12.0",
        "url": None,
        "priority": 0,
        "category": "job-type",
        "components": [],
        "build_date": None,
        "builtin": True,
        "error": None,
    },
    {
        "name": "demo",
        "version": "1.0.0",
        "url": "https://example.com",
        "priority": 10,
        "category": None,
        "components": ["lifecycle"],
        "build_date": "2026-01-01T000000Z",
        "builtin": False,
        "error": "ImportError: No module named 'kubernetes'",
    },
    {
        "name": "other",
        "version": "0.3.0",
        "url": None,
        "priority": 0,
        "category": None,
        "components": [],
        "build_date": None,
        "builtin": False,
        "error": None,
    },
]


def test_list_prints_name_version_with_builtin_and_faulty_markers(
    cli: Cli, fake: FakePluginLifecycle
) -> None:
    fake.plugins = PLUGINS
    result = cli("plugin", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "python3-job-type==2.12.0 (built-in)",
        "demo==1.0.0 FAULTY: ImportError: No module named 'kubernetes'",
        "other==0.3.0",
    ]
    assert fake.requests_to("GET", "/lifecycle/api/v1/plugin")


def test_list_as_json_is_the_server_answer(cli: Cli, fake: FakePluginLifecycle) -> None:
    fake.plugins = PLUGINS
    result = cli("plugin", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == PLUGINS


def test_list_with_nothing_installed_prints_nothing(cli: Cli, fake: FakePluginLifecycle) -> None:
    result = cli("plugin", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_list_job_types_prints_one_version_per_line(cli: Cli, fake: FakePluginLifecycle) -> None:
    fake.job_type_versions = ["python3:2.11.0", "python3:2.12.0", "docker-http:1.0.0"]
    result = cli("plugin", "list", "--job-types")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == fake.job_type_versions
    assert fake.requests_to("GET", "/lifecycle/api/v1/plugin/job_type/versions")
    result = cli("plugin", "list", "--job-types", "-o", "json")
    assert json.loads(result.stdout) == fake.job_type_versions


# -- download ---------------------------------------------------------------------------------------


def test_download_saves_name_version_zip_in_out_dir(
    cli: Cli, fake: FakePluginLifecycle, tmp_path: Path
) -> None:
    data = plugin_zip("demo", "1.0.0")
    fake.stored[("demo", "1.0.0")] = data
    out = tmp_path / "downloads"
    result = cli("plugin", "download", "demo", "1.0.0", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "demo-1.0.0.zip").read_bytes() == data
    assert result.stdout.strip() == f"Plugin demo 1.0.0 has been downloaded to {out / 'demo-1.0.0.zip'}"
    [request] = fake.requests_to("GET", "/lifecycle/api/v1/plugin/demo/1.0.0/download")
    assert request.headers["x-racetrack-auth"] == ADMIN_TOKEN


def test_download_defaults_to_the_current_directory(
    cli: Cli, fake: FakePluginLifecycle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.stored[("demo", "1.0.0")] = plugin_zip()
    monkeypatch.chdir(tmp_path)
    assert cli("plugin", "download", "demo", "1.0.0").exit_code == 0
    assert (tmp_path / "demo-1.0.0.zip").read_bytes() == plugin_zip()


def test_download_of_an_unknown_plugin_shows_the_server_message(
    cli: Cli, fake: FakePluginLifecycle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert_clean_error(cli("plugin", "download", "demo", "9.0.0"), "plugin demo 9.0.0 is not installed")
    assert not list(tmp_path.glob("*.zip"))


# -- start-up -------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [("--help",), ("plugin", "--help"), ("plugin", "install", "--help")])
def test_plugin_commands_load_no_http_yaml_or_bundle_code_for_help(argv: tuple[str, ...]) -> None:
    lazy = ["httpx", "yaml", "rich", "racetrack.core.plugin_bundle", "racetrack.core.semver"]
    assert offenders(loaded_modules(*argv), lazy) == []
