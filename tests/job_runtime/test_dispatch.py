"""Where user code runs: worker threads (pool size from RUNTIME_THREADS), or inline on the
event loop for consistently cheap calls."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from racetrack_job_runtime.endpoint import MAX_DEMOTIONS, PROMOTE_AFTER

from tests.job_runtime.job_runtime_support import AppFactory, client_for, write_job

pytestmark = pytest.mark.anyio

SOURCE = """
import asyncio
import threading
import time


class Model:
    def __init__(self):
        self.slow = False
        self.meeting = threading.Barrier(4, timeout=10)

    def perform(self):
        if self.slow:
            time.sleep(0.01)
        return threading.current_thread().name

    def auxiliary_endpoints(self):
        return {
            "/sleep": self.sleep,
            "/meet": self.meet,
            "/set_slow": self.set_slow,
            "/run_async": self.run_async,
        }

    def sleep(self, seconds: float):
        time.sleep(seconds)
        return threading.current_thread().name

    def meet(self):
        # returns only once four calls are inside at the same time (BrokenBarrierError otherwise)
        self.meeting.wait()
        return threading.current_thread().name

    def set_slow(self, slow: bool):
        self.slow = slow

    async def _answer(self):
        await asyncio.sleep(0)
        return threading.current_thread().name

    def run_async(self):
        return asyncio.run(self._answer())
"""


async def test_user_code_runs_in_a_worker_thread(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(write_job(tmp_path, SOURCE))
    name = (await client.post("/api/v1/perform")).json()
    assert name.startswith("job-worker-")


async def test_calls_run_in_parallel_in_the_pool(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(write_job(tmp_path, SOURCE))
    responses = await asyncio.gather(*(client.post("/api/v1/meet") for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4, "the four calls never ran at the same time"
    assert len({r.json() for r in responses}) == 4


async def test_pool_size_comes_from_runtime_threads(jobs: AppFactory, tmp_path: Path) -> None:
    app = jobs.app(write_job(tmp_path, SOURCE), env={"RUNTIME_THREADS": "1"})
    client = client_for(app)
    started = time.monotonic()
    responses = await asyncio.gather(*(client.post("/api/v1/sleep", json={"seconds": 0.2}) for _ in range(3)))
    assert time.monotonic() - started >= 0.55
    assert {r.json() for r in responses} == {"job-worker-1"}
    assert app.pool().threads == 1


async def test_event_loop_keeps_answering_probes_while_calls_block(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(write_job(tmp_path, SOURCE))
    call = asyncio.ensure_future(client.post("/api/v1/sleep", json={"seconds": 3}))
    await asyncio.sleep(0.1)
    assert (await client.get("/live")).status_code == 200
    assert not call.done(), "the probe was answered only after the blocking call ended"
    assert (await call).status_code == 200


async def test_cheap_calls_are_promoted_to_run_on_the_event_loop(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(write_job(tmp_path, SOURCE), env={"RUNTIME_INLINE_THRESHOLD_MS": "5"})
    names = [(await client.post("/api/v1/perform")).json() for _ in range(PROMOTE_AFTER + 2)]
    assert names[0].startswith("job-worker-")
    assert names[-1] == threading.current_thread().name


async def test_asyncio_run_works_in_promoted_calls(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(write_job(tmp_path, SOURCE), env={"RUNTIME_INLINE_THRESHOLD_MS": "50"})
    names = []
    for _ in range(PROMOTE_AFTER + 2):
        response = await client.post("/api/v1/run_async")
        assert response.status_code == 200, response.text
        names.append(response.json())
    assert names[-1] == threading.current_thread().name


async def test_a_slow_call_sends_an_inline_endpoint_back_to_the_pool(
    jobs: AppFactory, tmp_path: Path
) -> None:
    client = jobs.client(write_job(tmp_path, SOURCE), env={"RUNTIME_INLINE_THRESHOLD_MS": "5"})
    for _ in range(PROMOTE_AFTER + 1):
        await client.post("/api/v1/perform")
    assert (await client.post("/api/v1/perform")).json() == threading.current_thread().name
    await client.post("/api/v1/set_slow", json={"slow": True})
    await client.post("/api/v1/perform")  # slow, inline: demoted
    assert (await client.post("/api/v1/perform")).json().startswith("job-worker-")


async def test_an_endpoint_demoted_too_often_stays_on_the_pool(jobs: AppFactory, tmp_path: Path) -> None:
    app = jobs.app(write_job(tmp_path, SOURCE), env={"RUNTIME_INLINE_THRESHOLD_MS": "5"})
    endpoint = app.job.post["/api/v1/perform"]  # type: ignore[union-attr]
    for _ in range(MAX_DEMOTIONS):
        for _ in range(PROMOTE_AFTER):
            endpoint.record_duration(0.0001)
        assert endpoint.inline
        endpoint.record_duration(1.0)
        assert not endpoint.inline
    for _ in range(PROMOTE_AFTER * 2):
        endpoint.record_duration(0.0001)
    assert not endpoint.inline


async def test_inline_dispatch_is_off_when_the_threshold_is_zero(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(write_job(tmp_path, SOURCE), env={"RUNTIME_INLINE_THRESHOLD_MS": "0"})
    names = [(await client.post("/api/v1/perform")).json() for _ in range(PROMOTE_AFTER + 5)]
    assert all(name.startswith("job-worker-") for name in names)
