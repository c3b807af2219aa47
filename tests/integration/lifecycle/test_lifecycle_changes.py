"""The change feed: one poller per process, running only while someone listens."""

from __future__ import annotations

import time

from fastapi import FastAPI

from racetrack.lifecycle.services.changes import ChangeFeed
from tests.integration.lifecycle.lifecycle_support import TestClient, deploy


def _wait_for(condition: object, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_version_grows_when_jobs_or_deployments_change_while_listened_to(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    state = app.state.lifecycle
    feed = ChangeFeed(state.db, state.metrics, interval=0.05)
    with feed.listening():
        _wait_for(lambda: feed._marker is not None)
        before = feed.version
        deploy(client, auth)
        _wait_for(lambda: feed.version > before)
        time.sleep(0.3)  # the deployment's last writes
        settled = feed.version
        time.sleep(0.3)
        assert feed.version == settled  # nothing changes: no news
    feed.close()


def test_the_poller_stops_when_the_last_listener_leaves_and_restarts_for_the_next(
    app: FastAPI, client: TestClient
) -> None:
    state = app.state.lifecycle
    feed = ChangeFeed(state.db, state.metrics, interval=0.05)
    with feed.listening(), feed.listening():
        _wait_for(lambda: feed._thread is not None and feed._marker is not None)
        thread = feed._thread
    assert thread is not None
    thread.join(2)
    assert not thread.is_alive() and feed._thread is None
    with feed.listening():
        _wait_for(lambda: feed._thread is not None and feed._thread.is_alive())
    feed.close()
    assert feed._thread is None


def test_a_closed_feed_polls_no_more(app: FastAPI, client: TestClient) -> None:
    state = app.state.lifecycle
    feed = ChangeFeed(state.db, state.metrics, interval=0.05)
    with feed.listening():
        _wait_for(lambda: feed._marker is not None)
        feed.close()
        assert feed._thread is None
    with feed.listening():
        assert feed._thread is None  # closed with the state: no poller after the database is gone
