"""LifecycleSettings: sources, validation, and that every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from racetrack.lifecycle.settings import LifecycleSettings

DOCS = Path(__file__).resolve().parents[3] / "docs" / "lifecycle.md"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CONFIG_FILE",
        "DATABASE_URL",
        "RACETRACK_DATA_DIR",
        "AUTH_REQUIRED",
        "RACETRACK_SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_put_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = LifecycleSettings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'lifecycle.db'}"
    assert settings.auth_required is True and settings.allow_job_overwrite is False
    assert settings.resolved_secret_key_file == tmp_path / "secret.key"
    assert settings.build_logs_dir == tmp_path / "build-logs"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RACETRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/racetrack")
    monkeypatch.setenv("AUTH_REQUIRED", "false")
    monkeypatch.setenv("RACETRACK_ADMIN_PASSWORD", "s3cret-admin")
    monkeypatch.setenv("EXTERNAL_PUB_URL", "https://rt.example/pub/")
    settings = LifecycleSettings()
    assert settings.data_dir == tmp_path
    assert settings.resolved_database_url == "postgresql://db/racetrack"
    assert settings.auth_required is False
    assert (
        settings.admin_password is not None and settings.admin_password.get_secret_value() == "s3cret-admin"
    )
    assert settings.external_pub_url == "https://rt.example/pub"


def test_config_file_is_read_and_unknown_keys_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "lifecycle.yaml"
    config.write_text("allow_job_overwrite: true\ninfrastructure_target: docker\n")
    monkeypatch.setenv("CONFIG_FILE", str(config))
    settings = LifecycleSettings()
    assert settings.allow_job_overwrite is True and settings.infrastructure_target == "docker"

    config.write_text("image_builder_url: http://x\n")
    with pytest.raises(ValidationError, match="image_builder_url"):
        LifecycleSettings()


def test_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONFIG_FILE", str(tmp_path / "nope.yaml"))
    with pytest.raises(ValueError, match="CONFIG_FILE names a file that does not exist"):
        LifecycleSettings()


def test_unknown_keyword_is_refused() -> None:
    with pytest.raises(ValidationError):
        LifecycleSettings(no_such_setting=1)  # type: ignore[call-arg]


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE))
    assert set(LifecycleSettings.model_fields) - documented == set()


def test_a_cluster_domain_sets_every_external_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLUSTER_FQDN", "prod.example.com")
    monkeypatch.setenv("RACETRACK_SUBDOMAIN", "ml")
    monkeypatch.setenv("EXTERNAL_PUB_URL", "http://ignored:7205/pub")
    settings = LifecycleSettings(data_dir=tmp_path)
    assert settings.cluster_host == "ml.prod.example.com"
    assert (settings.lifecycle_url, settings.external_pub_url, settings.external_grafana_url) == (
        "https://ml.prod.example.com/lifecycle",
        "https://ml.prod.example.com/pub",
        "https://ml.prod.example.com/grafana",
    )


def test_without_a_cluster_domain_the_external_urls_are_used_as_given(tmp_path: Path) -> None:
    settings = LifecycleSettings(data_dir=tmp_path, external_pub_url="http://pub.example:7205/pub/")
    assert settings.cluster_host is None
    assert settings.external_pub_url == "http://pub.example:7205/pub"
    assert (
        LifecycleSettings(data_dir=tmp_path, cluster_fqdn="c.example").cluster_host == "racetrack.c.example"
    )
