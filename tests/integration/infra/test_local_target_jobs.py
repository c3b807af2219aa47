"""The local target running a real HTTP job (the stand-in job) as supervised processes."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import urllib.error
from collections.abc import Callable
from pathlib import Path

from racetrack.infra.local import LocalTarget
from racetrack.infra.local.ports import port_is_free
from racetrack.plugins.interfaces import JobRecord, JobStatus
from tests.integration.infra.local_kit import get_json, make_request, wait_for, wait_live


def source(tmp_path: Path, deployment_id: str = "d1") -> Path:
    return tmp_path / "artifacts" / "adder" / "0.0.1" / deployment_id


def only(target: LocalTarget) -> JobRecord:
    (record,) = target.list_jobs()
    return record


def refused(address: str) -> bool:
    try:
        get_json(address, "/live", timeout=1)
    except (urllib.error.URLError, ConnectionError):
        return True
    return False


def test_two_replicas_serve_with_the_platform_env(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    target = targets()
    record = target.deploy_job(make_request(source(tmp_path), replicas=2, timestamp=1700000123))
    assert len(record.replica_internal_names) == 2
    for address in record.replica_internal_names:
        assert wait_live(address) == {"live": True, "deployment_timestamp": 1700000123}
        env = {
            name: get_json(address, f"/env?name={name}")["value"]
            for name in ("JOB_NAME", "JOB_VERSION", "AUTH_TOKEN", "PUB_URL", "JOB_TYPE_VERSION")
        }
        assert env == {
            "JOB_NAME": "adder",
            "JOB_VERSION": "0.0.1",
            "AUTH_TOKEN": "job-token-s3cret",
            "PUB_URL": "http://127.0.0.1:7000/pub",
            "JOB_TYPE_VERSION": "python3:1.0.0",
        }
        assert get_json(address, "/cwd")["cwd"] == str(source(tmp_path))
    target.promote_job("adder", "0.0.1", "d1")
    running = only(target)
    assert (running.status, running.error, running.last_call_time) == (JobStatus.RUNNING, None, 1700000000)
    assert running.create_time == 1700000123 and running.image_tag == "env:0123456789ab"


def test_killed_replica_is_restarted_and_reported_while_down(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    target = targets(restart_backoff_min=1.5)
    record = target.deploy_job(make_request(source(tmp_path), replicas=2))
    for address in record.replica_internal_names:
        wait_live(address)
    target.promote_job("adder", "0.0.1", "d1")
    pid = only(target).infrastructure_stats["pids"][1]
    os.kill(pid, signal.SIGKILL)
    down = wait_for(lambda: only(target).status == JobStatus.ERROR and only(target))
    assert down.error.startswith("replica 1 killed by signal SIGKILL; restarting in")
    wait_for(lambda: only(target).status == JobStatus.RUNNING, timeout=10)
    wait_live(record.replica_internal_names[1])  # back on the same port
    back = only(target)
    assert back.infrastructure_stats["number_of_restarts"] == 1
    assert back.infrastructure_stats["pids"][1] != pid
    assert (
        "[replica 1] [racetrack] restarting replica 1: killed by signal SIGKILL"
        in target.read_recent_logs("adder", "0.0.1", tail=0)
    )


def test_logs_of_all_replicas_and_follow(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    target = targets()
    record = target.deploy_job(make_request(source(tmp_path), replicas=2))
    first, second = record.replica_internal_names
    wait_live(first), wait_live(second)
    get_json(first, "/log?msg=hello-from-0")
    get_json(second, "/log?msg=hello-from-1")
    wait_for(lambda: "hello-from-1" in target.read_recent_logs("adder", "0.0.1"))
    recent = target.read_recent_logs("adder", "0.0.1", tail=20).splitlines()
    assert "[replica 0] hello-from-0" in recent and "[replica 1] hello-from-1" in recent
    assert len(target.read_recent_logs("adder", "0.0.1", tail=1).splitlines()) == 1

    lines: list[str] = []
    stop = threading.Event()
    follower = threading.Thread(
        target=lambda: lines.extend(target.follow_logs("adder", "0.0.1", tail=2, stop=stop.is_set))
    )
    follower.start()
    wait_for(lambda: len(lines) >= 2)
    get_json(second, "/log?msg=followed-line")
    wait_for(lambda: "[replica 1] followed-line" in lines)
    stop.set()
    follower.join(timeout=5)
    assert not follower.is_alive()


def test_stop_then_start_restarts_on_the_same_ports(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    first = targets()
    record = first.deploy_job(make_request(source(tmp_path), replicas=2))
    for address in record.replica_internal_names:
        wait_live(address)
    first.promote_job("adder", "0.0.1", "d1")
    first.stop()
    assert all(refused(address) for address in record.replica_internal_names)

    second = targets()  # a restarted platform
    second.start()
    for address in record.replica_internal_names:
        wait_live(address)
        assert get_json(address, "/env?name=AUTH_TOKEN")["value"] == "job-token-s3cret"  # from secrets.bin
    assert only(second).replica_internal_names == record.replica_internal_names


def test_platform_crash_then_start_adopts_running_replicas(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    crashed = targets()
    record = crashed.deploy_job(make_request(source(tmp_path), replicas=2))
    for address in record.replica_internal_names:
        wait_live(address)
    crashed.promote_job("adder", "0.0.1", "d1")
    pids = only(crashed).infrastructure_stats["pids"]
    crashed._stop_event.set()  # the platform dies without stopping its jobs
    assert crashed._supervisor is not None
    crashed._supervisor.join()
    orphans = [r._popen for job in crashed._jobs.values() for d in job.deployments for r in d.replicas]
    crashed._jobs.clear()

    revived = targets()
    revived.start()
    assert only(revived).infrastructure_stats["pids"] == pids  # adopted, not restarted
    get_json(record.replica_internal_names[0], "/log?msg=still-logging")
    wait_for(lambda: "still-logging" in revived.read_recent_logs("adder", "0.0.1"))

    os.kill(pids[0], signal.SIGKILL)  # an adopted replica is supervised too
    down = wait_for(lambda: only(revived).status == JobStatus.ERROR and only(revived))
    assert "exit status unknown" in down.error
    wait_for(lambda: get_json(record.replica_internal_names[0], "/live"))
    revived.stop()
    for popen in orphans:  # the test process is still their parent: reap them
        assert popen is not None
        popen.wait(timeout=5)


def test_blue_green_promote_and_abandon(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    target = targets()
    old = target.deploy_job(make_request(source(tmp_path, "d1"), "d1", timestamp=1000))
    assert wait_live(old.internal_name)["deployment_timestamp"] == 1000
    target.promote_job("adder", "0.0.1", "d1")

    new = target.deploy_job(make_request(source(tmp_path, "d2"), "d2", timestamp=2000))
    assert new.internal_name != old.internal_name
    assert wait_live(new.internal_name)["deployment_timestamp"] == 2000
    assert get_json(old.internal_name, "/live")["deployment_timestamp"] == 1000  # both serve meanwhile
    assert only(target).internal_name == old.internal_name  # until promoted
    target.promote_job("adder", "0.0.1", "d2")
    assert refused(old.internal_name)
    assert only(target).internal_name == new.internal_name
    job_dir = tmp_path / "data" / "jobs" / "job-adder-v-0-0-1"
    assert not (job_dir / "d1").exists() and not source(tmp_path, "d1").exists()

    failed = target.deploy_job(make_request(source(tmp_path, "d3"), "d3", timestamp=3000))
    wait_live(failed.internal_name)
    target.abandon_job("adder", "0.0.1", "d3")
    assert refused(failed.internal_name)
    assert get_json(new.internal_name, "/live")["deployment_timestamp"] == 2000
    assert not (job_dir / "d3").exists() and source(tmp_path, "d2").exists()


def test_abandoning_the_only_deployment_removes_the_job(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    target = targets()
    record = target.deploy_job(make_request(source(tmp_path)))
    wait_live(record.internal_name)
    target.abandon_job("adder", "0.0.1", "d1")
    assert not target.job_exists("adder", "0.0.1") and target.list_jobs() == []
    assert not (tmp_path / "data" / "jobs" / "job-adder-v-0-0-1").exists()


def test_delete_frees_files_and_ports(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    target = targets()
    record = target.deploy_job(make_request(source(tmp_path), replicas=2))
    for address in record.replica_internal_names:
        wait_live(address)
    target.delete_job("adder", "0.0.1")
    assert not target.job_exists("adder", "0.0.1") and target.list_jobs() == []
    assert not (tmp_path / "data" / "jobs" / "job-adder-v-0-0-1").exists()
    assert not (tmp_path / "artifacts" / "adder").exists()
    assert all(port_is_free(int(a.split(":")[1])) for a in record.replica_internal_names)
    target.delete_job("adder", "0.0.1")  # idempotent


def test_memory_limit_kills_and_reports(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    target = targets(restart_backoff_min=5.0, restart_backoff_max=10.0)
    record = target.deploy_job(make_request(source(tmp_path), memory_max_bytes=96 * 2**20))
    wait_live(record.internal_name)
    target.promote_job("adder", "0.0.1", "d1")
    try:
        get_json(record.internal_name, "/alloc?mb=150", timeout=5)
    except (urllib.error.URLError, ConnectionError):
        pass  # killed while answering
    down = wait_for(lambda: only(target).status == JobStatus.ERROR and only(target))
    assert down.error.startswith("replica 0 killed: memory_max 96Mi exceeded (resident memory ")
    assert refused(record.internal_name)


def test_stop_kills_a_job_ignoring_sigterm(tmp_path: Path, targets: Callable[..., LocalTarget]) -> None:
    target = targets(stop_timeout=0.5)
    record = target.deploy_job(make_request(source(tmp_path), env={"STANDIN_IGNORE_TERM": "1"}))
    wait_live(record.internal_name)
    started = time.monotonic()
    target.stop()
    assert time.monotonic() - started < 4
    assert refused(record.internal_name)


def test_deployment_failure_reports_a_replica_that_exited_during_startup(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    target = targets()
    crashing = ["{python}", "-c", "import sys, time; time.sleep(0.5); sys.exit(3)"]
    target.deploy_job(make_request(source(tmp_path), command=crashing))
    assert target.deployment_failure("adder", "0.0.1", "d1") is None  # still starting
    wait_for(lambda: target.deployment_failure("adder", "0.0.1", "d1") is not None, timeout=10)
    reason = target.deployment_failure("adder", "0.0.1", "d1")
    assert reason is not None and "3" in reason


def test_deployment_failure_is_none_for_a_healthy_deployment(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    target = targets()
    record = target.deploy_job(make_request(source(tmp_path)))
    wait_live(record.internal_name or "")
    assert target.deployment_failure("adder", "0.0.1", "d1") is None


def test_environments_in_use_are_those_of_every_kept_deployment(
    tmp_path: Path, targets: Callable[..., LocalTarget]
) -> None:
    def environment(key: str) -> Path:
        env = tmp_path / "envs" / key
        (env / "bin").mkdir(parents=True)
        (env / "bin" / "python").symlink_to(sys.executable)
        return env

    target = targets()
    first, second = environment("a" * 64), environment("b" * 64)
    target.deploy_job(make_request(source(tmp_path, "d1"), "d1", env_dir=first))
    target.promote_job("adder", "0.0.1", "d1")
    target.deploy_job(make_request(source(tmp_path, "d2"), "d2", version="0.0.2", env_dir=second))
    assert target.environments_in_use() == {first, second}
    target.delete_job("adder", "0.0.2")
    assert target.environments_in_use() == {first}
