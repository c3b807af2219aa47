"""Bad input gets one clear message, the deployment is marked failed, and nothing running is disturbed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import SAMPLES, Cli, Server

pytestmark = pytest.mark.e2e

MANIFEST = """\
name: {name}
owner_email: sample@example.com
jobtype: {jobtype}
version: 0.0.1
git:
  remote: https://example.com/jobs/{name}
jobtype_extra:
  entrypoint_path: entrypoint.py
{extra}"""


def make_job(
    root: Path,
    name: str,
    code: str,
    *,
    jobtype: str = "python3:latest",
    extra: str = "",
    files: dict[str, str] | None = None,
) -> Path:
    job = root / name
    job.mkdir()
    (job / "job.yaml").write_text(MANIFEST.format(name=name, jobtype=jobtype, extra=extra))
    (job / "entrypoint.py").write_text(code)
    for filename, content in (files or {}).items():
        (job / filename).write_text(content)
    return job


@pytest.fixture(scope="module")
def running_adder(cli: Cli, server: Server, admin_token: str) -> str:
    cli("deploy", str(SAMPLES / "python-class"), "--force", "-e", "name=adder-bystander")
    return f"{server.pub}/job/adder-bystander/0.0.2/api/v1/perform"


def assert_still_serving(url: str, token: str) -> None:
    response = httpx.post(url, json={"numbers": [40, 2]}, headers={"X-Racetrack-Auth": token})
    assert response.status_code == 200 and response.json() == 42


def failed_deploy(cli: Cli, job: Path) -> str:
    result = cli("deploy", str(job), "--force", check=False, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback (most recent call last)" not in output.split("Job logs:")[0]
    return output


OK_CODE = "class Job:\n    def perform(self, x: int) -> int:\n        return x\n"


def test_unknown_job_type_is_refused_naming_the_installed_ones(
    cli: Cli, tmp_path: Path, running_adder: str, admin_token: str
) -> None:
    output = failed_deploy(cli, make_job(tmp_path, "bad-jobtype", OK_CODE, jobtype="golang:9.9.9"))
    assert "golang:9.9.9" in output and "python3:" in output
    assert_still_serving(running_adder, admin_token)


def test_requirements_that_do_not_install_fail_with_the_build_log_excerpt(
    cli: Cli, tmp_path: Path, running_adder: str, admin_token: str
) -> None:
    job = make_job(
        tmp_path,
        "bad-requirements",
        OK_CODE,
        extra="  requirements_path: requirements.txt\n",
        files={"requirements.txt": "racetrack-no-such-package-xyz==0.0.1\n"},
    )
    output = failed_deploy(cli, job)
    assert "racetrack-no-such-package-xyz" in output
    assert_still_serving(running_adder, admin_token)


def test_entrypoint_raising_in_init_reports_the_error_and_the_line(
    cli: Cli, tmp_path: Path, running_adder: str, admin_token: str
) -> None:
    code = (
        "class Job:\n"
        "    def __init__(self):\n"
        "        raise RuntimeError('model file is missing')\n\n"
        "    def perform(self):\n"
        "        return 1\n"
    )
    output = failed_deploy(cli, make_job(tmp_path, "bad-init", code))
    assert "model file is missing" in output
    assert "entrypoint.py" in output
    assert_still_serving(running_adder, admin_token)


def test_job_that_exits_at_once_fails_the_deployment(
    cli: Cli, tmp_path: Path, running_adder: str, admin_token: str
) -> None:
    code = "import os\nos._exit(3)\n"
    output = failed_deploy(cli, make_job(tmp_path, "exits-at-once", code))
    assert "exits-at-once" in output or "exit" in output.lower()
    assert_still_serving(running_adder, admin_token)


def test_failed_redeploy_leaves_the_running_version_serving(
    cli: Cli, tmp_path: Path, running_adder: str, admin_token: str
) -> None:
    broken = tmp_path / "broken-adder"
    broken.mkdir()
    (broken / "job.yaml").write_text((SAMPLES / "python-class" / "job.yaml").read_text())
    (broken / "adder.py").write_text("raise ImportError('broken on purpose')\n")
    output = failed_deploy_named(cli, broken, "adder-bystander")
    assert "broken on purpose" in output
    assert_still_serving(running_adder, admin_token)


def failed_deploy_named(cli: Cli, job: Path, name: str) -> str:
    result = cli("deploy", str(job), "--force", "-e", f"name={name}", check=False, timeout=300)
    assert result.returncode != 0
    return result.stdout + result.stderr


def test_payload_that_is_not_json_is_a_400(running_adder: str, admin_token: str) -> None:
    response = httpx.post(
        running_adder,
        content=b"{not json",
        headers={"X-Racetrack-Auth": admin_token, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_deployment_failure_is_recorded_with_its_reason(cli: Cli, server: Server, admin_token: str) -> None:
    deployments = httpx.get(
        f"{server.remote}/api/v1/deploy", params={"limit": 50}, headers={"X-Racetrack-Auth": admin_token}
    ).json()
    failed = [d for d in deployments if d["status"] == "failed"]
    assert failed, deployments
    assert all(d["error"] for d in failed)
    assert all("rt_u_" not in (d["error"] or "") for d in failed)


def test_unreachable_git_repository_fails_with_a_clear_message_and_no_credentials(
    cli: Cli, tmp_path: Path, running_adder: str, admin_token: str
) -> None:
    job = make_job(tmp_path, "git-unreachable", OK_CODE)
    manifest = (
        (job / "job.yaml").read_text().replace("https://example.com/jobs/", "https://127.0.0.1:9/jobs/")
    )
    (job / "job.yaml").write_text(manifest)
    cli("set", "credentials", "https://127.0.0.1:9", "git-user", "git-secret-token-123")
    result = cli("deploy", str(job), "--build-context", "git", "--force", check=False, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "127.0.0.1:9" in output and "clone" in output.lower()
    assert "git-secret-token-123" not in output
    assert_still_serving(running_adder, admin_token)


def test_secret_runtime_vars_reach_the_job_but_no_output(
    cli: Cli, server: Server, tmp_path: Path, admin_token: str
) -> None:
    secret = "s3cr3t-value-for-e2e"
    code = (
        "import os\n\n"
        "class Job:\n"
        "    def perform(self) -> dict:\n"
        "        return {'secret_matches': os.environ.get('API_KEY') == " + repr(secret) + ",\n"
        "                'build_var_blanked': os.environ.get('BUILD_ONLY') == ''}\n"
    )
    job = make_job(
        tmp_path,
        "secret-env",
        code,
        extra="secret_runtime_env_file: runtime.env\nbuild_env:\n  BUILD_ONLY: build-time-only\n",
        files={"runtime.env": f"API_KEY={secret}\n"},
    )
    deployed = cli("deploy", str(job), "--force")
    response = httpx.post(
        f"{server.pub}/job/secret-env/latest/api/v1/perform",
        json={},
        headers={"X-Racetrack-Auth": admin_token},
    )
    assert response.json() == {"secret_matches": True, "build_var_blanked": True}
    headers = {"X-Racetrack-Auth": admin_token}
    exposed = [
        deployed.stdout,
        httpx.get(f"{server.remote}/api/v1/job/secret-env/latest", headers=headers).text,
        httpx.get(f"{server.remote}/api/v1/deploy", headers=headers).text,
        httpx.get(f"{server.remote}/api/v1/job/secret-env/latest/build-logs", headers=headers).text,
        httpx.get(f"{server.remote}/api/v1/job/secret-env/latest/logs", headers=headers).text,
        server.output(),
    ]
    for text in exposed:
        assert secret not in text
