"""Fetching a job's source into a build workspace: an uploaded build context or a git clone.

Uploaded contexts (a gzipped tar, already base64-decoded) are checked member by member before
anything is written: no absolute paths, no ``..``, only regular files and directories (no
links, devices or FIFOs), at most ``max_members`` members and ``max_bytes`` unpacked.

Git sources are cloned over HTTPS only, shallow (``--depth 1``), with no interactive prompt.
Credentials are handed to git by a one-shot credential helper that reads them from the git
process's environment, answering only for the remote's host, so they never appear in a
command line (world-readable in ``/proc``), in ``.git/config`` (copied into the job's working
directory) or in any output: the password and the URL's user info are also scrubbed from
everything git prints before it reaches the build log or an error message.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from racetrack.builder.logs import BuildLog
from racetrack.core.errors import DeploymentError, InvalidInputError
from racetrack.plugins.interfaces import GitCredentials

if TYPE_CHECKING:
    from racetrack.manifest import Manifest

MIB = 1024 * 1024
GIT_VERSION_UPLOADED = "tar"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# Answers git's "get" requests with the credentials from the environment, for one host only.
_CREDENTIAL_HELPER = (
    '!f() { test "$1" = get || exit 0; h=; '
    'while IFS= read -r l && test -n "$l"; do case "$l" in host=*) h="${l#host=}";; esac; done; '
    'test "$h" = "$RACETRACK_GIT_HOST" || exit 0; '
    'printf \'username=%s\\npassword=%s\\n\' "$RACETRACK_GIT_USERNAME" "$RACETRACK_GIT_PASSWORD"; }; f'
)


@dataclass(frozen=True)
class ContextLimits:
    """Limits on an uploaded build context."""

    max_bytes: int = 200 * MIB  # total size of all files once unpacked
    max_members: int = 20_000  # files and directories in the archive


@dataclass(frozen=True)
class Workspace:
    """A job's source, ready to build."""

    path: Path  # the job directory (git.directory of the clone, or the unpacked context)
    git_version: str  # `git describe --long --tags --dirty --always`, or "tar" for uploads
    root: Path  # <workspaces_dir>/<deployment_id>: everything remove_workspace deletes


def prepare_workspace(
    *,
    workspaces_dir: Path,
    deployment_id: str,
    manifest: Manifest,
    manifest_yaml: str,
    build_context: bytes | None,
    git_credentials: GitCredentials | None,
    log: BuildLog,
    limits: ContextLimits = ContextLimits(),
    git_timeout: float = 300.0,
) -> Workspace:
    """Fetch the job's source into ``<workspaces_dir>/<deployment_id>`` and write ``job.yaml``.

    Args:
        workspaces_dir: parent of all build workspaces.
        deployment_id: names the workspace; a leftover workspace of that id is replaced.
        manifest: the validated manifest (``git.remote``, ``git.branch``, ``git.directory``).
        manifest_yaml: the manifest text written as ``job.yaml`` into the job directory.
        build_context: a gzipped tar of the job directory, or None to clone ``git.remote``.
        git_credentials: used for the clone; never logged.
        log: the deployment's build log (secrets are registered with it here).
        limits: limits on the uploaded context.
        git_timeout: seconds the clone may take.

    Raises:
        InvalidInputError: a rejected archive member, or a job directory missing in the repo.
        DeploymentError: the clone failed (message without credentials).
    """
    if not _SAFE_ID.match(deployment_id):
        raise InvalidInputError(f"invalid deployment id {deployment_id!r}")
    root = workspaces_dir / deployment_id
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    source = root / "src"
    if build_context is not None:
        log.write("fetching the source code: unpacking the uploaded build context")
        files, size = extract_build_context(build_context, source, limits)
        log.write(f"build context unpacked: {files} files, {size / MIB:.1f} MiB")
        path, version = source, GIT_VERSION_UPLOADED
    else:
        git = manifest.git
        clone_repository(
            git.remote, git.branch, source, credentials=git_credentials, log=log, timeout=git_timeout
        )
        path = _job_directory(source, git.directory, _display_url(git.remote))
        version = describe_version(source)
        log.write(f"source at version {version}")
    (path / "job.yaml").write_text(manifest_yaml, encoding="utf-8")
    return Workspace(path=path, git_version=version, root=root)


def remove_workspace(workspace: Workspace) -> None:
    """Delete a workspace (the artifact keeps its own copy of the source)."""
    shutil.rmtree(workspace.root, ignore_errors=True)


# -- uploaded build context ------------------------------------------------------------------


def _short(name: str) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in name)
    return printable if len(printable) <= 200 else printable[:200] + "..."


def _member_problem(member: tarfile.TarInfo) -> str | None:
    name = member.name
    path = PurePosixPath(name)
    if not name or name.startswith("/") or path.is_absolute():
        return "absolute paths are not allowed"
    if ".." in path.parts:
        return "paths may not contain '..'"
    if member.issym():
        return "symbolic links are not allowed"
    if member.islnk():
        return "hard links are not allowed"
    if member.ischr() or member.isblk() or member.isfifo():
        return "devices and FIFOs are not allowed"
    if not (member.isreg() or member.isdir()):
        return "only regular files and directories are allowed"
    return None


def check_build_context(data: bytes, limits: ContextLimits = ContextLimits()) -> list[tarfile.TarInfo]:
    """Every member of the gzipped tar ``data``, each checked; nothing is written.

    Raises:
        InvalidInputError: not a gzipped tar, or a member breaks a rule (the message names it).
    """
    members: list[tarfile.TarInfo] = []
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            while (member := tar.next()) is not None:
                problem = _member_problem(member)
                if problem:
                    raise InvalidInputError(
                        f"build context member '{_short(member.name)}' rejected: {problem}"
                    )
                members.append(member)
                if len(members) > limits.max_members:
                    raise InvalidInputError(
                        f"build context has more than {limits.max_members} files and directories"
                    )
                total += member.size if member.isreg() else 0
                if total > limits.max_bytes:
                    raise InvalidInputError(
                        f"build context member '{_short(member.name)}' rejected: the context exceeds "
                        f"{limits.max_bytes / MIB:.0f} MiB unpacked; exclude large files (.gitignore)"
                    )
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise InvalidInputError(f"build context is not a valid gzipped tar archive: {e}") from e
    return members


def extract_build_context(
    data: bytes, dest: Path, limits: ContextLimits = ContextLimits()
) -> tuple[int, int]:
    """Check every member of ``data``, then unpack it into ``dest``; returns (files, bytes).

    Raises:
        InvalidInputError: see :func:`check_build_context`.
    """
    members = check_build_context(data, limits)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(dest, members=members, filter="data")  # the checks above, again
    except (tarfile.TarError, OSError) as e:
        raise InvalidInputError(f"build context cannot be unpacked: {e}") from e
    make_owner_writable(dest)
    files = [m for m in members if m.isreg()]
    return len(files), sum(m.size for m in files)


def make_owner_writable(root: Path) -> None:
    """Give the owner read/write on every file and rwx on every directory under ``root``."""
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, os.stat(dirpath).st_mode | 0o700)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o600)


# -- git ---------------------------------------------------------------------------------------


def _display_url(remote: str) -> str:
    """``remote`` without any user info: safe to show."""
    parts = urlsplit(remote)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def _job_directory(repo: Path, directory: str, url: str) -> Path:
    path = (repo / directory).resolve()
    if not path.is_relative_to(repo.resolve()):
        raise InvalidInputError(f"git.directory '{directory}' must stay inside the repository")
    if not path.is_dir():
        raise InvalidInputError(f"git.directory '{directory}' not found in {url}")
    return path


def _git_environment(remote: str, credentials: GitCredentials | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_TERMINAL_PROMPT="0",  # fail instead of asking for a password
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        GCM_INTERACTIVE="never",
        GIT_ALLOW_PROTOCOL="https",
        LC_ALL="C",  # English messages, matched below
        LANGUAGE="C",
    )
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    config = [("credential.helper", "")]  # forget the host's helpers: only ours may answer
    if credentials is not None:
        config.append(("credential.helper", _CREDENTIAL_HELPER))
        parts = urlsplit(remote)
        env["RACETRACK_GIT_HOST"] = parts.netloc.rpartition("@")[2]
        env["RACETRACK_GIT_USERNAME"] = credentials.username
        env["RACETRACK_GIT_PASSWORD"] = credentials.password
    for i, (key, value) in enumerate(config, start=count):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(config))
    return env


def _run(cmd: list[str], *, env: dict[str, str], cwd: Path | None, timeout: float) -> tuple[int, str]:
    """Run ``cmd`` with output captured; on timeout kill its whole process group."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise
    return proc.returncode, output.decode("utf-8", errors="replace")


def _clone_failure(url: str, branch: str | None, output: str, has_credentials: bool) -> str:
    low = output.lower()
    host = urlsplit(url).netloc
    if (
        "authentication failed" in low
        or "could not read username" in low
        or "could not read password" in low
        or "the requested url returned error: 401" in low
        or "the requested url returned error: 403" in low
    ):
        hint = (
            "check the git credentials set with `racetrack set credentials`"
            if has_credentials
            else "set git credentials with `racetrack set credentials`"
        )
        return f"cannot clone {url}: authentication failed — {hint}"
    if "not found" in low and ("repository" in low or "error: 404" in low) and "remote branch" not in low:
        return f"cannot clone {url}: repository not found"
    if "remote branch" in low and "not found" in low:
        return f"cannot clone {url}: branch '{branch}' not found"
    if "could not resolve host" in low:
        return f"cannot clone {url}: could not resolve host {urlsplit(url).hostname}"
    if "failed to connect" in low or "connection refused" in low or "couldn't connect" in low:
        return f"cannot clone {url}: cannot connect to {host}"
    if "ssl" in low or "certificate" in low or "tls" in low:
        detail = next(
            (line for line in output.splitlines() if "ssl" in line.lower() or "certif" in line.lower()), ""
        )
        return f"cannot clone {url}: TLS error: {detail.strip()}"
    last = " / ".join(line.strip() for line in output.strip().splitlines()[-3:])
    return f"cannot clone {url}: {last or 'git failed'}"


def clone_repository(
    remote: str,
    branch: str | None,
    dest: Path,
    *,
    credentials: GitCredentials | None,
    log: BuildLog,
    timeout: float = 300.0,
) -> None:
    """Shallow-clone ``remote`` (HTTPS only) into ``dest``.

    Raises:
        InvalidInputError: the remote is not an https:// URL.
        DeploymentError: git failed or timed out; the message never contains credentials.
    """
    url = _display_url(remote)
    if urlsplit(remote).scheme != "https":
        raise InvalidInputError(f"git.remote must start with https:// (got {url})")
    parts = urlsplit(remote)
    secrets = [unquote(parts.password)] if parts.password else []
    if credentials is not None:
        secrets.append(credentials.password)
    log.add_secrets(secrets)
    scrub = log.scrub
    clean_remote = remote
    if parts.username or parts.password:  # user info typed into the manifest: pass it via the helper
        clean_remote = url
        if credentials is None:
            credentials = GitCredentials(unquote(parts.username or ""), unquote(parts.password or ""))
    cmd = ["git", "clone", "--depth", "1", "--single-branch"]
    if branch:
        cmd += ["--branch", branch]
    cmd += ["--", clean_remote, str(dest)]
    log.write(
        f"fetching the source code: git clone --depth 1 {url}" + (f" (branch {branch})" if branch else "")
    )
    try:
        code, output = _run(cmd, env=_git_environment(clean_remote, credentials), cwd=None, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DeploymentError(f"cannot clone {url}: timed out after {timeout:.0f} s") from None
    except OSError as e:
        raise DeploymentError(f"cannot clone {url}: cannot run git: {scrub(str(e))}") from None
    output = scrub(output.replace(remote, url))
    log.write(output)
    if code != 0:
        raise DeploymentError(scrub(_clone_failure(url, branch, output, credentials is not None)))


def describe_version(repo: Path) -> str:
    """``git describe --long --tags --dirty --always`` of ``repo``; "unknown" if git fails."""
    try:
        code, output = _run(
            ["git", "describe", "--long", "--tags", "--dirty", "--always"],
            env={**os.environ, "LC_ALL": "C"},
            cwd=repo,
            timeout=30,
        )
    except (subprocess.TimeoutExpired, OSError):
        return "unknown"
    return output.strip() if code == 0 and output.strip() else "unknown"
