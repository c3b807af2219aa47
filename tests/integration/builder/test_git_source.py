"""Cloning job sources from a private HTTPS git server; credentials never leak."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from racetrack.builder import BuildLog, Workspace, prepare_workspace
from racetrack.core.errors import DeploymentError, InvalidInputError
from racetrack.manifest import parse_manifest
from racetrack.plugins.interfaces import GitCredentials
from tests.conftest import require
from tests.integration.builder.git_server import GitServer, make_repository

USER, PASSWORD = "deployer", "s3cr:et/pa$$ word"
SECRETS = (PASSWORD, "s3cr%3Aet", "pa$$", "pa%24%24")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    require(shutil.which("git") is not None, "git is not installed")
    base = tmp_path_factory.mktemp("git")
    (base / "repos" / "team").mkdir(parents=True)
    (base / "work").mkdir()
    make_repository(base / "repos" / "team", "job.git", base / "work")
    with GitServer(base / "repos", USER, PASSWORD, base) as git_server:
        yield git_server


@pytest.fixture(autouse=True)
def trust_server(server: GitServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_SSL_CAINFO", str(server.cert_path))


def clone(
    tmp_path: Path, remote: str, credentials: GitCredentials | None, **git: str
) -> tuple[Workspace, BuildLog]:
    log = BuildLog(tmp_path / "build.log")
    manifest = parse_manifest(
        {
            "name": "adder",
            "owner_email": "owner@example.com",
            "jobtype": "python3:1.0.0",
            "git": {"remote": remote, **git},
        }
    )
    workspace = prepare_workspace(
        workspaces_dir=tmp_path / "workspaces",
        deployment_id="d1",
        manifest=manifest,
        manifest_yaml="name: adder\n",
        build_context=None,
        git_credentials=credentials,
        log=log,
        git_timeout=60,
    )
    return workspace, log


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_private_repo_is_cloned_with_credentials(tmp_path: Path, server: GitServer) -> None:
    workspace, log = clone(
        tmp_path, f"{server.url}/team/job.git", GitCredentials(USER, PASSWORD), directory="jobs/adder"
    )
    assert workspace.path == (tmp_path / "workspaces" / "d1" / "src" / "jobs" / "adder").resolve()
    assert (workspace.path / "adder.py").is_file() and (
        workspace.path / "job.yaml"
    ).read_text() == "name: adder\n"
    assert re.fullmatch(r"v1\.0\.0-0-g[0-9a-f]+(-dirty)?", workspace.git_version)
    git_config = (workspace.root / "src" / ".git" / "config").read_text()
    assert_no_secret(git_config, log.read())
    assert USER not in git_config
    assert f"git clone --depth 1 {server.url}/team/job.git" in log.read()


def test_branch_is_checked_out(tmp_path: Path, server: GitServer) -> None:
    workspace, _ = clone(
        tmp_path,
        f"{server.url}/team/job.git",
        GitCredentials(USER, PASSWORD),
        branch="feature",
        directory="jobs/adder",
    )
    assert (workspace.path / "feature.txt").read_text() == "feature branch\n"


def test_credentials_typed_into_the_remote_work_and_stay_hidden(tmp_path: Path, server: GitServer) -> None:
    from urllib.parse import quote

    remote = server.url.replace("https://", f"https://{USER}:{quote(PASSWORD, safe='')}@") + "/team/job.git"
    workspace, log = clone(tmp_path, remote, None)
    assert (workspace.path / "README.md").is_file()
    assert_no_secret((workspace.path / ".git" / "config").read_text(), log.read())


def test_wrong_password_is_an_authentication_error(tmp_path: Path, server: GitServer) -> None:
    wrong = "wr0ng-" + PASSWORD
    with pytest.raises(DeploymentError) as info:
        clone(tmp_path, f"{server.url}/team/job.git", GitCredentials(USER, wrong))
    assert str(info.value) == (
        f"cannot clone {server.url}/team/job.git: authentication failed — "
        "check the git credentials set with `racetrack set credentials`"
    )
    log = (tmp_path / "build.log").read_text()
    assert wrong not in log and wrong not in repr(info.value.__cause__)


def test_missing_credentials_say_how_to_set_them(tmp_path: Path, server: GitServer) -> None:
    with pytest.raises(DeploymentError) as info:
        clone(tmp_path, f"{server.url}/team/job.git", None)
    assert str(info.value) == (
        f"cannot clone {server.url}/team/job.git: authentication failed — "
        "set git credentials with `racetrack set credentials`"
    )


def test_unknown_repository(tmp_path: Path, server: GitServer) -> None:
    with pytest.raises(DeploymentError) as info:
        clone(tmp_path, f"{server.url}/team/nothing.git", GitCredentials(USER, PASSWORD))
    assert str(info.value) == f"cannot clone {server.url}/team/nothing.git: repository not found"
    assert_no_secret(str(info.value), (tmp_path / "build.log").read_text())


def test_unknown_branch(tmp_path: Path, server: GitServer) -> None:
    with pytest.raises(DeploymentError, match="branch 'nope' not found"):
        clone(tmp_path, f"{server.url}/team/job.git", GitCredentials(USER, PASSWORD), branch="nope")


def test_missing_job_directory(tmp_path: Path, server: GitServer) -> None:
    with pytest.raises(InvalidInputError) as info:
        clone(tmp_path, f"{server.url}/team/job.git", GitCredentials(USER, PASSWORD), directory="jobs/nope")
    assert str(info.value) == f"git.directory 'jobs/nope' not found in {server.url}/team/job.git"
