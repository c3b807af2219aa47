"""Build workspaces: uploaded contexts checked member by member, git errors without secrets."""

from __future__ import annotations

import gzip
import io
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from racetrack.builder import BuildLog, ContextLimits, check_build_context, prepare_workspace
from racetrack.builder.sources import _clone_failure, _display_url, _git_environment, clone_repository
from racetrack.core.errors import DeploymentError, InvalidInputError
from racetrack.manifest import Manifest, parse_manifest
from racetrack.plugins.interfaces import GitCredentials
from tests.conftest import require

MANIFEST_YAML = "name: adder\nversion: 0.0.1\n"


def manifest(remote: str = "https://example.com/adder.git", **git: str) -> Manifest:
    return parse_manifest(
        {
            "name": "adder",
            "owner_email": "owner@example.com",
            "jobtype": "python3:1.0.0",
            "git": {"remote": remote, **git},
        }
    )


def tar_gz(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def file(name: str, data: bytes = b"x", mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    return info, data


def special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def workspace(tmp_path: Path, context: bytes, limits: ContextLimits = ContextLimits()) -> Path:
    ws = prepare_workspace(
        workspaces_dir=tmp_path / "workspaces",
        deployment_id="d1",
        manifest=manifest(),
        manifest_yaml=MANIFEST_YAML,
        build_context=context,
        git_credentials=None,
        log=BuildLog(tmp_path / "build.log"),
        limits=limits,
    )
    assert ws.git_version == "tar"
    return ws.path


def test_uploaded_context_is_unpacked_with_job_yaml(tmp_path: Path) -> None:
    directory = tarfile.TarInfo("src")
    directory.type = tarfile.DIRTYPE
    directory.mode = 0o555
    context = tar_gz(
        (directory, None),
        file("./src/adder.py", b"class Adder: pass\n", mode=0o444),
        file("job.yaml", b"old"),
    )
    path = workspace(tmp_path, context)
    assert (path / "src" / "adder.py").read_text() == "class Adder: pass\n"
    assert (path / "job.yaml").read_text() == MANIFEST_YAML
    assert stat.S_IMODE((path / "src" / "adder.py").stat().st_mode) & 0o600 == 0o600  # the job may write
    assert "build context unpacked: 2 files" in (tmp_path / "build.log").read_text()


def test_existing_workspace_of_the_deployment_is_replaced(tmp_path: Path) -> None:
    stale = tmp_path / "workspaces" / "d1" / "src" / "stale.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    path = workspace(tmp_path, tar_gz(file("a.py")))
    assert not stale.exists() and (path / "a.py").exists()


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (file("../x"), "paths may not contain '..'"),
        (file("src/../../x"), "paths may not contain '..'"),
        (file("/etc/x"), "absolute paths are not allowed"),
        (special("link", tarfile.SYMTYPE, "/etc/passwd"), "symbolic links are not allowed"),
        (special("inner", tarfile.SYMTYPE, "a.py"), "symbolic links are not allowed"),
        (special("hard", tarfile.LNKTYPE, "a.py"), "hard links are not allowed"),
        (special("dev", tarfile.CHRTYPE), "devices and FIFOs are not allowed"),
        (special("disk", tarfile.BLKTYPE), "devices and FIFOs are not allowed"),
        (special("fifo", tarfile.FIFOTYPE), "devices and FIFOs are not allowed"),
    ],
)
def test_bad_members_are_refused_before_anything_is_written(
    tmp_path: Path, member: tuple[tarfile.TarInfo, bytes | None], reason: str
) -> None:
    context = tar_gz(file("a.py"), member)
    with pytest.raises(InvalidInputError) as info:
        workspace(tmp_path, context)
    assert str(info.value) == f"build context member '{member[0].name}' rejected: {reason}"
    src = tmp_path / "workspaces" / "d1" / "src"
    assert not src.exists()
    assert not (tmp_path / "x").exists()


def test_too_large_context_is_refused_from_declared_sizes(tmp_path: Path) -> None:
    context = tar_gz(file("a.bin", b"a" * 600), file("b.bin", b"b" * 600))
    with pytest.raises(InvalidInputError, match="member 'b.bin' rejected: the context exceeds"):
        workspace(tmp_path, context, ContextLimits(max_bytes=1000))
    assert not (tmp_path / "workspaces" / "d1" / "src").exists()


def test_gzip_bomb_is_stopped_at_the_header(tmp_path: Path) -> None:
    big = tarfile.TarInfo("huge.bin")
    big.size = 10 * 1024**3  # the header claims 10 GiB; only the header is read
    data = gzip.compress(big.tobuf() + b"\0" * 4096)  # truncated data: never reached
    with pytest.raises(InvalidInputError, match="exceeds 200 MiB unpacked"):
        check_build_context(data)


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    context = tar_gz(*(file(f"f{i}") for i in range(6)))
    with pytest.raises(InvalidInputError, match="more than 5 files and directories"):
        workspace(tmp_path, context, ContextLimits(max_members=5))


def test_not_a_tar_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not a valid gzipped tar archive"):
        workspace(tmp_path, b"definitely not gzip")


def test_deployment_id_must_be_a_plain_name(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="invalid deployment id"):
        prepare_workspace(
            workspaces_dir=tmp_path,
            deployment_id="../escape",
            manifest=manifest(),
            manifest_yaml="",
            build_context=tar_gz(file("a")),
            git_credentials=None,
            log=BuildLog(tmp_path / "l.log"),
        )


def test_display_url_drops_user_info() -> None:
    assert _display_url("https://user:secret@example.com:8443/r.git") == "https://example.com:8443/r.git"
    assert _display_url("https://example.com/r.git") == "https://example.com/r.git"


def test_credentials_go_to_the_helper_environment_not_the_url() -> None:
    env = _git_environment("https://example.com/r.git", GitCredentials("bob", "s3cret"))
    assert env["RACETRACK_GIT_PASSWORD"] == "s3cret" and env["RACETRACK_GIT_HOST"] == "example.com"
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    count = int(env["GIT_CONFIG_COUNT"])
    helpers = [
        env[f"GIT_CONFIG_VALUE_{i}"]
        for i in range(count)
        if env[f"GIT_CONFIG_KEY_{i}"] == "credential.helper"
    ]
    assert helpers[-2] == ""  # the host's own helpers are reset
    assert "s3cret" not in helpers[-1]


def test_credential_helper_answers_only_for_the_remote_host() -> None:
    require(shutil.which("git") is not None, "git is not installed")
    env = _git_environment("https://git.example.com:8443/r.git", GitCredentials("bob", "s3cret"))

    def fill(host: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "credential", "fill"],
            input=f"protocol=https\nhost={host}\n\n",
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    answer = fill("git.example.com:8443")
    assert "username=bob" in answer.stdout and "password=s3cret" in answer.stdout
    other = fill("evil.example.com")
    assert other.returncode != 0 and "s3cret" not in other.stdout + other.stderr


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            "fatal: could not read Username for 'https://h': terminal prompts disabled",
            "cannot clone https://h/r: authentication failed — "
            "set git credentials with `racetrack set credentials`",
        ),
        ("remote: Repository not found.\nfatal: repository 'https://h/r/' not found", "repository not found"),
        ("fatal: unable to access 'https://h/r/': Could not resolve host: h", "could not resolve host h"),
        ("fatal: Remote branch dev not found in upstream origin", "branch 'dev' not found"),
        ("Failed to connect to h port 443: Connection refused", "cannot connect to h"),
        ("SSL certificate problem: self-signed certificate", "TLS error: SSL certificate problem"),
    ],
)
def test_clone_failures_get_one_clear_message(output: str, message: str) -> None:
    assert message in _clone_failure("https://h/r", "dev", output, has_credentials=False)


def test_clone_of_unreachable_host_never_shows_credentials(tmp_path: Path) -> None:
    log = BuildLog(tmp_path / "build.log")
    with pytest.raises(DeploymentError) as info:
        clone_repository(
            "https://bob:inline-pw@nonexistent.invalid/team/repo.git",
            None,
            tmp_path / "repo",
            credentials=GitCredentials("bob", "pa$$:w0rd"),
            log=log,
            timeout=30,
        )
    text = str(info.value) + repr(info.value.__cause__) + log.read()
    assert str(info.value) == (
        "cannot clone https://nonexistent.invalid/team/repo.git: could not resolve host nonexistent.invalid"
    )
    for secret in ("pa$$:w0rd", "pa%24%24%3Aw0rd", "inline-pw", "bob:"):
        assert secret not in text


def test_git_remote_must_be_https(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="must start with https://"):
        clone_repository(
            "http://example.com/r.git", None, tmp_path / "r", credentials=None, log=BuildLog(tmp_path / "l")
        )
