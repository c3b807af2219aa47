"""Background initialisation in the server: ready or failed, and the job's objects frozen for the GC."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from racetrack_job_runtime.app import JobApp
from racetrack_job_runtime.server import initialize_in_background
from racetrack_job_runtime.settings import Settings

from tests.job_runtime.job_runtime_support import write_job


def test_a_loaded_job_is_frozen_out_of_full_collections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_job(tmp_path, "class Job:\n    def perform(self):\n        return 1\n")
    monkeypatch.chdir(tmp_path)
    app = JobApp(Settings.from_env({}))
    loop = asyncio.new_event_loop()
    try:
        gc.unfreeze()
        initialize_in_background(app, loop, "entrypoint.py", None).join(timeout=30)
        loop.run_until_complete(asyncio.sleep(0))
        assert app.job is not None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        app.close()
        loop.close()
