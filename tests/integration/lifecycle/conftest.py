"""Fixtures: a database on both backends, the Lifecycle app with working fake plugins, a client.

Every test using ``db_url`` (directly or through ``app``/``client``) runs twice: on SQLite
in a temporary directory and on PostgreSQL in a database created for this test session
(each test gets an empty schema).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI

from racetrack.lifecycle import LifecycleSettings, create_app
from racetrack.lifecycle.services.crypto import load_cipher
from racetrack.plugins.bundles import PluginStore
from racetrack.plugins.engine import PluginEngine
from tests.conftest import require
from tests.integration.lifecycle.lifecycle_fakes import FakeBuilder, FakePlugin, FakeTarget
from tests.integration.lifecycle.lifecycle_support import ADMIN_PASSWORD, INTERNAL_TOKEN, TestClient, login

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A database created for this session (dropped at the end); None when Postgres is down."""
    if not _postgres_available():
        yield None
        return
    name = f"rt_lifecycle_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_database: str | None) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lifecycle.db'}"
    require(postgres_database is not None, "PostgreSQL is not reachable on 127.0.0.1:5432")
    assert postgres_database is not None
    reset_postgres(postgres_database)
    return postgres_database


@pytest.fixture(autouse=True)
def _only_given_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine loads only the fakes handed to it, not the installed entry points."""
    monkeypatch.setenv("RACETRACK_PLUGINS", "")
    for name in ("CONFIG_FILE", "DATABASE_URL", "RACETRACK_ADMIN_PASSWORD", "RACETRACK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_settings(tmp_path: Path, db_url: str) -> Callable[..., LifecycleSettings]:
    def make(**overrides: Any) -> LifecycleSettings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": db_url,
            "external_pub_url": "http://pub.example:7205/pub",
            "internal_pub_url": "http://127.0.0.1:7205/pub",
            "lifecycle_url": "http://127.0.0.1:7202/lifecycle",
            "admin_password": ADMIN_PASSWORD,
            "sync_interval": 0,
            "database_status_refresh_interval": 0,
            "timeout_until_job_alive": 5,
            "timeout_until_job_ready": 5,
            "deployment_heartbeat_interval": 0.2,
        }
        values.update(overrides)
        return LifecycleSettings(**values)

    return make


@pytest.fixture
def target() -> FakeTarget:
    return FakeTarget()


@pytest.fixture
def builder() -> FakeBuilder:
    return FakeBuilder()


@pytest.fixture
def plugin(target: FakeTarget) -> FakePlugin:
    return FakePlugin(target)


@pytest.fixture
def make_app(
    make_settings: Callable[..., LifecycleSettings], plugin: FakePlugin, builder: FakeBuilder, tmp_path: Path
) -> Callable[..., FastAPI]:
    def make(*, internal_token: str | None = None, **overrides: Any) -> FastAPI:
        settings = make_settings(**overrides)
        cipher = load_cipher(settings)
        engine = PluginEngine(
            tmp_path / "plugins",
            {},
            cipher.encrypt,
            cipher.decrypt,
            extra_plugins=[plugin],
            store=PluginStore(settings.resolved_plugins_dir),
        )
        return create_app(settings, engine, internal_token=internal_token, artifact_builder=builder)

    return make


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(internal_token=INTERNAL_TOKEN)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def admin_token(client: TestClient) -> str:
    return login(client)


@pytest.fixture
def auth(admin_token: str) -> dict[str, str]:
    return {"X-Racetrack-Auth": admin_token}


@pytest.fixture
def auth_for() -> Callable[[TestClient], dict[str, str]]:
    """Log in as admin on another client (an app built by ``make_app``)."""

    def headers(client: TestClient) -> dict[str, str]:
        return {"X-Racetrack-Auth": login(client)}

    return headers
