"""``racetrack plugin ...``: bundle a plugin directory, install, list, download and uninstall plugins.

``install`` takes a local ZIP, an ``http(s)://`` URL of one, or a GitHub repository
(``github.com/<owner>/<repo>`` for the newest stable release, ``...==<version>`` for one release),
checks the bundle locally and uploads its raw bytes to Lifecycle (staff only).
httpx and the bundle module are imported inside the commands, never at CLI start-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, unquote, urlsplit

import typer

from racetrack.client.commands.activity import Format, OutputOption, _print_json
from racetrack.client.options import RemoteOption, cli_state

if TYPE_CHECKING:
    import httpx

    from racetrack.client.http import LifecycleClient

GITHUB_API_URL = "https://api.github.com"
GITHUB_API_ENV = "RACETRACK_GITHUB_API_URL"
GITHUB_TOKEN_ENV = "GITHUB_TOKEN"
GITHUB_PREFIX = "github.com/"
UPLOAD_TIMEOUT = 300.0
DOWNLOAD_TIMEOUT = 120.0

plugin_app = typer.Typer(
    name="plugin",
    help="Bundle plugins, and install, list, download and uninstall them on a Racetrack (staff only).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The plugin's name.")]


# -- bundle -----------------------------------------------------------------------------------------


@plugin_app.command("bundle")
def bundle(
    ctx: typer.Context,
    workdir: Annotated[
        Path,
        typer.Argument(
            metavar="WORKDIR", help="The plugin directory (with plugin.py and plugin-manifest.yaml)."
        ),
    ] = Path("."),
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="Directory to write the ZIP to (default: WORKDIR)."),
    ] = None,
    out_filename: Annotated[
        str | None,
        typer.Option(
            "--out-filename", metavar="NAME", help="File name of the ZIP (default: NAME-VERSION.zip)."
        ),
    ] = None,
    plugin_version: Annotated[
        str | None,
        typer.Option("--plugin-version", metavar="VERSION", help="Override the version of the manifest."),
    ] = None,
) -> None:
    """Pack a plugin directory into a ZIP bundle, leaving out what .racetrackignore names."""
    from racetrack.core.plugin_bundle import bundle_plugin

    path, manifest = bundle_plugin(
        workdir, out_dir=out, out_filename=out_filename, plugin_version=plugin_version
    )
    cli_state(ctx).out.notice(f"Plugin {manifest.name} {manifest.version} has been bundled to {path}")


# -- install ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fetched:
    """A plugin ZIP obtained from a URI: its bytes and a file name to upload it under."""

    data: bytes
    filename: str


@plugin_app.command("install", no_args_is_help=True)
def install(
    ctx: typer.Context,
    uri: Annotated[
        str,
        typer.Argument(
            metavar="URI",
            help=(
                "A local ZIP file, an http(s):// URL of one, github.com/OWNER/REPO (ZIP asset of the "
                "newest stable release) or github.com/OWNER/REPO==VERSION (that release)."
            ),
        ),
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Remove the other installed versions of the plugin.")
    ] = False,
    remote: RemoteOption = None,
) -> None:
    """Install a plugin bundle on a Racetrack (staff only); GITHUB_TOKEN authorises GitHub calls."""
    from racetrack.client.session import open_session
    from racetrack.core.plugin_bundle import read_bundle

    state = cli_state(ctx)
    fetched = _fetch(uri, insecure=state.insecure, debug=state.out.debug)
    manifest = read_bundle(fetched.data).manifest
    filename = fetched.filename if _safe_zip_name(fetched.filename) else f"{manifest.key}.zip"
    state.out.info(f"Uploading plugin {manifest.name} {manifest.version} ({len(fetched.data)} bytes)")
    session = open_session(state, remote)
    client = session.client
    url = client.api_url(f"plugin/upload/{quote(filename, safe='')}")
    installed = _post_bytes(client, url, fetched.data, params={"replace": 1 if replace else 0})
    if not isinstance(installed, dict):
        installed = {}
    name = installed.get("name", manifest.name)
    version = installed.get("version", manifest.version)
    state.out.notice(f"Plugin {name} {version} has been installed to {session.remote.url}")


def _safe_zip_name(name: str) -> bool:
    return name.endswith(".zip") and len(name) > 4 and "/" not in name and "\\" not in name


def _fetch(uri: str, *, insecure: bool, debug: Callable[[str], None]) -> _Fetched:
    from racetrack.client.errors import ClientError

    location = uri.strip()
    path = Path(location).expanduser()
    if path.is_file():
        return _Fetched(path.read_bytes(), path.name)
    if location.startswith(("http://", "https://")):
        split = urlsplit(location)
        if split.hostname in ("github.com", "www.github.com") and len(split.path.strip("/").split("/")) == 2:
            return _from_github(GITHUB_PREFIX + split.path.strip("/"), insecure=insecure, debug=debug)
        web = _Web(insecure=insecure, debug=debug)
        with web:
            response = web.get(location, what="plugin")
        name = unquote(urlsplit(str(response.url)).path.rsplit("/", 1)[-1])
        return _Fetched(response.content, name)
    if location.startswith(GITHUB_PREFIX):
        return _from_github(location, insecure=insecure, debug=debug)
    if path.exists():
        raise ClientError(f"plugin file {location} is not a file")
    if location.endswith(".zip") or os.sep in location or location.startswith("."):
        raise ClientError(f"plugin file {location} not found")
    raise ClientError(
        f"Unknown plugin location: {location}. Give a ZIP file, an http(s):// URL of one, "
        "github.com/OWNER/REPO or github.com/OWNER/REPO==VERSION"
    )


def _from_github(location: str, *, insecure: bool, debug: Callable[[str], None]) -> _Fetched:
    from racetrack.client.errors import ClientError

    repo_part, pinned, version = location.removeprefix(GITHUB_PREFIX).partition("==")
    repo = repo_part.strip("/").removesuffix(".git")
    parts = repo.split("/")
    if len(parts) != 2 or not all(parts) or (pinned and not version.strip()):
        raise ClientError(
            f"Unknown plugin location: {location}. Expected github.com/OWNER/REPO or "
            "github.com/OWNER/REPO==VERSION"
        )
    version = version.strip()
    api = os.environ.get(GITHUB_API_ENV, "").strip().rstrip("/") or GITHUB_API_URL
    token = os.environ.get(GITHUB_TOKEN_ENV, "").strip()
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with _Web(insecure=insecure, debug=debug) as web:
        releases_url = f"{api}/repos/{quote(parts[0])}/{quote(parts[1])}/releases"
        response = web.get(
            releases_url,
            params={"per_page": 100},
            headers=headers,
            what="GitHub releases",
            not_found=f"GitHub repository {repo} not found"
            + ("" if token else f" (for a private repository set {GITHUB_TOKEN_ENV})"),
        )
        releases = response.json()
        if not isinstance(releases, list):
            raise ClientError(f"GitHub API answered an unexpected body for {releases_url}")
        release = _pick_release(releases, version, repo)
        assets = [a for a in release.get("assets") or [] if str(a.get("name", "")).endswith(".zip")]
        if not assets:
            raise ClientError(f"GitHub release {_release_label(release)} of {repo} has no .zip asset")
        asset = assets[0]
        if token and asset.get("url"):
            # The API URL of the asset works for private repositories too.
            download = web.get(
                str(asset["url"]),
                headers={**headers, "Accept": "application/octet-stream"},
                what="GitHub release asset",
            )
        else:
            download = web.get(str(asset["browser_download_url"]), what="GitHub release asset")
        debug(f"downloaded {asset['name']} of release {_release_label(release)} of {repo}")
        return _Fetched(download.content, str(asset["name"]))


def _release_label(release: Mapping[str, Any]) -> str:
    return str(release.get("tag_name") or release.get("name") or "?")


def _release_version(release: Mapping[str, Any]) -> Any:
    from racetrack.core.semver import SemanticVersion

    for key in ("tag_name", "name"):
        text = str(release.get(key) or "").strip().removeprefix("v")
        if SemanticVersion.is_valid(text):
            return SemanticVersion.parse(text)
    return None


def _pick_release(releases: list[Any], version: str, repo: str) -> dict[str, Any]:
    """The release with ``version`` (tag ``v<version>`` or ``<version>``), or the newest stable one."""
    from racetrack.client.errors import ClientError

    published = [r for r in releases if isinstance(r, dict) and not r.get("draft")]
    if version:
        wanted = {version, f"v{version}", version.removeprefix("v")}
        for release in published:
            if release.get("tag_name") in wanted or release.get("name") in wanted:
                return release
        raise ClientError(f"GitHub release {version} of {repo} not found")
    candidates = []
    for release in published:
        parsed = _release_version(release)
        if release.get("prerelease") or parsed is None or not parsed.is_stable:
            continue
        candidates.append((parsed, release))
    if not candidates:
        raise ClientError(f"GitHub repository {repo} has no stable release")
    candidates.sort(key=lambda pair: pair[0], reverse=True)
    return candidates[0][1]


class _Web:
    """Downloads from the web (a plugin URL, GitHub): redirects followed, one-line errors."""

    def __init__(self, *, insecure: bool, debug: Callable[[str], None]) -> None:
        from racetrack.client.http import USER_AGENT, load_httpx

        load_httpx()
        import httpx

        self.debug = debug
        self.client = httpx.Client(
            verify=not insecure,
            timeout=httpx.Timeout(DOWNLOAD_TIMEOUT, connect=10.0),
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        )

    def __enter__(self) -> _Web:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get(
        self,
        url: str,
        *,
        what: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        not_found: str | None = None,
    ) -> httpx.Response:
        import httpx

        from racetrack.client.errors import ClientError, ConnectionFailedError
        from racetrack.client.http import error_message

        try:
            response = self.client.get(url, headers=headers, params=params)
        except httpx.HTTPError as e:
            cause = e.__cause__ or e.__context__ or e
            raise ConnectionFailedError(
                f"cannot download {what} from {url}: {str(cause) or type(cause).__name__}"
            ) from e
        self.debug(f"GET {response.request.url} -> {response.status_code}")
        if response.status_code == 404 and not_found:
            raise ClientError(not_found)
        if response.status_code >= 300:
            message = error_message(response)
            detail = f": {message}" if message else ""
            raise ClientError(
                f"cannot download {what}: {response.status_code} {response.reason_phrase}{detail} (GET {url})"
            )
        return response


def _post_bytes(client: LifecycleClient, url: str, data: bytes, *, params: Mapping[str, str | int]) -> Any:
    """POST raw bytes with the client's auth header; the decoded JSON answer."""
    response = client.send("POST", url, content=data, params=params, timeout=UPLOAD_TIMEOUT)
    client.raise_for_status(response)
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


# -- uninstall --------------------------------------------------------------------------------------


@plugin_app.command("uninstall", no_args_is_help=True)
def uninstall(
    ctx: typer.Context,
    name: NameArgument,
    version: Annotated[str, typer.Option("--version", metavar="VERSION", help="The version to uninstall.")],
    remote: RemoteOption = None,
) -> None:
    """Uninstall one version of a plugin (staff only); works for faulty plugins too."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    session.client.delete(f"plugin/{quote(name, safe='')}/{quote(version, safe='')}")
    state.out.notice(f"Plugin {name} {version} has been uninstalled from {session.remote.url}")


# -- list -------------------------------------------------------------------------------------------


@plugin_app.command("list")
def list_plugins(
    ctx: typer.Context,
    job_types: Annotated[
        bool, typer.Option("--job-types", help="List the available job type versions (name:version) instead.")
    ] = False,
    output: OutputOption = Format.table,
    remote: RemoteOption = None,
) -> None:
    """List the installed plugins as name==version (faulty ones with their error)."""
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    if job_types:
        versions = session.client.get("plugin/job_type/versions") or []
        if output is Format.json:
            _print_json(ctx, versions)
        elif not versions:
            state.out.info(f"No job types available at {session.remote.url}.")
        else:
            state.out.data("\n".join(str(v) for v in versions))
        return
    plugins = session.client.get("plugin") or []
    if output is Format.json:
        _print_json(ctx, plugins)
        return
    if not plugins:
        state.out.info(f"No plugins installed at {session.remote.url}.")
        return
    state.out.info(f"Plugins ({len(plugins)}) at {session.remote.url}:")
    state.out.data("\n".join(_plugin_line(p) for p in plugins))


def _plugin_line(plugin: Mapping[str, Any]) -> str:
    line = f"{plugin.get('name')}=={plugin.get('version')}"
    if plugin.get("builtin"):
        line += " (built-in)"
    if plugin.get("error"):
        line += f" FAULTY: {plugin['error']}"
    return line


# -- download ---------------------------------------------------------------------------------------


@plugin_app.command("download", no_args_is_help=True)
def download(
    ctx: typer.Context,
    name: NameArgument,
    version: Annotated[str, typer.Argument(metavar="VERSION", help="The plugin's version.")],
    out: Annotated[
        Path,
        typer.Option("--out", metavar="DIR", help="Directory to save NAME-VERSION.zip to (default: .)."),
    ] = Path("."),
    remote: RemoteOption = None,
) -> None:
    """Download an installed plugin's ZIP bundle as DIR/NAME-VERSION.zip."""
    from racetrack.client.errors import ClientError
    from racetrack.client.session import open_session

    state = cli_state(ctx)
    session = open_session(state, remote)
    client = session.client
    url = client.api_url(f"plugin/{quote(name, safe='')}/{quote(version, safe='')}/download")
    response = client.send("GET", url, timeout=DOWNLOAD_TIMEOUT)
    client.raise_for_status(response)
    filename = f"{name}-{version}.zip"
    if not _safe_zip_name(filename):
        raise ClientError(f"cannot save plugin {name} {version}: the name makes no safe file name")
    try:
        out.mkdir(parents=True, exist_ok=True)
        path = out / filename
        path.write_bytes(response.content)
    except OSError as e:
        raise ClientError(f"cannot save plugin {name} {version} to {out}: {e.strerror or e}") from e
    state.out.notice(f"Plugin {name} {version} has been downloaded to {path}")
