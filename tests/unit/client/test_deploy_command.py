"""deploy and validate with real manifests, against the fake Lifecycle on loopback."""

from __future__ import annotations

import base64
import io
import tarfile
from pathlib import Path

import pytest
import yaml

from .conftest import Cli, read_config, write_config
from .fake_lifecycle import ADMIN_TOKEN, FakeLifecycle

MANIFEST = """\
name: adder
version: 0.0.2
owner_email: {owner}
jobtype: python3:2.4.0
git:
  remote: https://github.com/example/jobs
  directory: adder
jobtype_extra:
  entrypoint_path: adder.py
  entrypoint_class: Adder
"""


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    """A sample job (owner sample@example.com) with files the .gitignore leaves out."""
    root = tmp_path / "adder"
    files = {
        "job.yaml": MANIFEST.format(owner="sample@example.com"),
        "adder.py": "class Adder:\n    def perform(self, numbers):\n        return sum(numbers)\n",
        "requirements.txt": "",
        ".gitignore": "*.log\n/data\n.env*\n",
        "debug.log": "noise\n",
        "data/huge.csv": "1,2,3\n",
        "pkg/data/small.csv": "kept\n",
        ".env.secret": "TOKEN=x\n",
        "__pycache__/adder.cpython-311.pyc": "",
        ".git/HEAD": "ref: refs/heads/main\n",
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def members(encoded: str) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(encoded)), mode="r:gz") as tar:
        return sorted(tar.getnames())


def test_deploy_sample_to_localhost_sends_local_build_context(
    cli: Cli, logged_in: FakeLifecycle, job_dir: Path
) -> None:
    result = cli("deploy", str(job_dir))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "deployment in progress: building image...",
        "deployment in progress: fetching the source code...",
        "deployment in progress: starting Job server...",
        f'Job "adder" has been deployed. Check out {logged_in.url}/pub/job/adder/0.0.2 to access your Job',
    ]
    (request,) = logged_in.requests_to("POST", "/lifecycle/api/v1/deploy")
    assert request.headers["x-racetrack-auth"] == ADMIN_TOKEN
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    body = request.json()
    assert set(body) == {"manifest", "git_credentials", "secret_vars", "build_context", "force"}
    assert body["manifest"]["name"] == "adder"
    assert body["manifest"]["version"] == "0.0.2"
    assert body["manifest"]["git"]["remote"] == "https://github.com/example/jobs"
    assert body["git_credentials"] is None
    assert body["secret_vars"] == {"build_env": None, "runtime_env": None}
    assert body["force"] is False
    assert members(body["build_context"]) == [
        "adder.py",
        "job.yaml",
        "pkg/data/small.csv",
        "requirements.txt",
    ]


def test_deploy_in_a_terminal_logs_each_step(
    cli: Cli, logged_in: FakeLifecycle, job_dir: Path, tty: None
) -> None:
    result = cli("deploy", str(job_dir))
    assert result.exit_code == 0, result.output
    messages = [line.split(" INFO ", 1)[1] for line in result.stdout.splitlines() if " INFO " in line]
    assert messages[0] == f"Using current remote: {logged_in.lifecycle_url}"
    assert messages[1] == f'deploying workspace "{job_dir}" (job adder v0.0.2) to {logged_in.lifecycle_url}'
    assert messages[2] == "using local build context due to deploying to localhost"
    assert messages[3].startswith("local build context encoded: 4 files, ")
    assert messages[4] == "job deployment requested: dep-1"
    assert "deployment in progress: building image..." in messages
    assert messages[-1].startswith('Job "adder" has been deployed.')


def test_deploy_of_a_non_sample_builds_from_git(
    cli: Cli, logged_in: FakeLifecycle, job_dir: Path, config_path: Path
) -> None:
    (job_dir / "job.yaml").write_text(MANIFEST.format(owner="jane@example.org"))
    config = read_config(config_path)
    config["git_credentials"] = {"https://github.com": {"username": "jane", "password": "ghp_secret"}}
    write_config(config_path, config)
    result = cli("deploy", str(job_dir), "--force")
    assert result.exit_code == 0, result.output
    assert "ghp_secret" not in result.output
    body = logged_in.requests_to("POST", "/api/v1/deploy")[0].json()
    assert body["build_context"] is None
    assert body["force"] is True
    assert body["git_credentials"] == {"username": "jane", "password": "ghp_secret"}


def test_build_context_option_overrides_the_auto_rule(
    cli: Cli, logged_in: FakeLifecycle, job_dir: Path
) -> None:
    assert cli("deploy", str(job_dir), "--build-context", "git").exit_code == 0
    assert logged_in.requests_to("POST", "/api/v1/deploy")[-1].json()["build_context"] is None
    (job_dir / "job.yaml").write_text(MANIFEST.format(owner="jane@example.org"))
    assert cli("deploy", str(job_dir), "--build-context", "local", "--force").exit_code == 0
    assert logged_in.requests_to("POST", "/api/v1/deploy")[-1].json()["build_context"]


def test_deploy_sends_secret_env_files_and_extra_vars(
    cli: Cli, logged_in: FakeLifecycle, job_dir: Path, tty: None
) -> None:
    manifest = yaml.safe_load((job_dir / "job.yaml").read_text())
    manifest["secret_build_env_file"] = ".env.build"
    manifest["secret_runtime_env_file"] = ".env.runtime"
    (job_dir / "job.yaml").write_text(yaml.safe_dump(manifest))
    (job_dir / ".env.build").write_text("PIP_TOKEN=build-secret\n")
    (job_dir / ".env.runtime").write_text("# comment\nAPI_KEY='runtime-secret'\n")
    result = cli("deploy", str(job_dir), "-e", "version=0.0.3", "--extra-vars", "git.branch=dev")
    assert result.exit_code == 0, result.output
    assert "build-secret" not in result.output and "runtime-secret" not in result.output
    body = logged_in.requests_to("POST", "/api/v1/deploy")[0].json()
    assert body["secret_vars"] == {
        "build_env": {"PIP_TOKEN": "build-secret"},
        "runtime_env": {"API_KEY": "runtime-secret"},
    }
    assert body["manifest"]["version"] == "0.0.3"
    assert body["manifest"]["git"]["branch"] == "dev"
    assert "secret_build_env_file" in body["manifest"]
    assert ".env.build" not in members(body["build_context"])


def test_no_cache_sends_build_flags(cli: Cli, logged_in: FakeLifecycle, job_dir: Path) -> None:
    assert cli("deploy", str(job_dir), "--no-cache").exit_code == 0
    assert logged_in.requests_to("POST", "/api/v1/deploy")[0].json()["build_flags"] == ["--no-cache"]


def test_failed_deployment_exits_non_zero_with_the_server_error(
    cli: Cli, logged_in: FakeLifecycle, job_dir: Path
) -> None:
    logged_in.deployment_error = "building image: pip install failed: No matching distribution for nmupy"
    result = cli("deploy", str(job_dir))
    assert result.exit_code == 1
    assert "has been deployed" not in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.endswith(
        "ERROR deployment error: building image: pip install failed: No matching distribution for nmupy"
    )


def test_rejected_deploy_request_is_one_line(cli: Cli, logged_in: FakeLifecycle, job_dir: Path) -> None:
    logged_in.deploy_reject = (
        409,
        "job adder v0.0.2 is already deployed. Try deploying next version or use --force",
    )
    result = cli("deploy", str(job_dir))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.endswith(
        "Lifecycle response error: Conflict: job adder v0.0.2 is already deployed. "
        "Try deploying next version or use --force "
        f"(POST {logged_in.lifecycle_url}/api/v1/deploy returned 409)"
    )


def test_deprecated_positional_remote_still_works(
    cli: Cli, lifecycle: FakeLifecycle, job_dir: Path, config_path: Path
) -> None:
    write_config(config_path, {"user_auths": {lifecycle.lifecycle_url: ADMIN_TOKEN}})
    result = cli("deploy", str(job_dir), lifecycle.url)
    assert result.exit_code == 0, result.output
    assert "deprecated, use --remote" in result.stderr
    assert logged_in_requests(lifecycle)


def logged_in_requests(lifecycle: FakeLifecycle) -> bool:
    return bool(lifecycle.requests_to("POST", "/api/v1/deploy"))


def test_invalid_manifest_is_reported_without_contacting_the_server(
    cli: Cli, logged_in: FakeLifecycle, job_dir: Path
) -> None:
    (job_dir / "job.yaml").write_text(MANIFEST.format(owner="not-an-email"))
    result = cli("deploy", str(job_dir))
    assert result.exit_code == 1
    assert "owner_email" in result.stderr
    assert "Traceback" not in result.output
    assert logged_in.requests == []


def test_validate_prints_the_evaluated_manifest(cli: Cli, job_dir: Path, tty: None) -> None:
    result = cli("validate", str(job_dir), "-e", "version=1.0.0")
    assert result.exit_code == 0, result.output
    first, rest = result.stdout.split("\n", 1)
    assert first.endswith(f'INFO Manifest file "{job_dir / "job.yaml"}" is valid')
    evaluated = yaml.safe_load(rest)
    assert evaluated["version"] == "1.0.0"
    assert evaluated["name"] == "adder"
    assert None not in evaluated.values()


def test_validate_piped_prints_only_yaml(cli: Cli, job_dir: Path) -> None:
    result = cli("validate", str(job_dir / "job.yaml"))
    assert yaml.safe_load(result.stdout)["name"] == "adder"
