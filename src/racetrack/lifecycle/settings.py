"""Lifecycle's settings: one closed model, read once at startup.

Sources, highest priority first: keyword arguments (the app factory's caller), environment
variables (the field name in upper case unless an alias is given below), the YAML file named
by ``CONFIG_FILE`` (unknown keys are a startup error), then the defaults. Every field is
documented in ``docs/lifecycle.md``; a test keeps the two in step.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

CONFIG_FILE_ENV = "CONFIG_FILE"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class LifecycleSettings(BaseSettings):
    """Configuration of the Lifecycle control plane (API, worker, sync loop)."""

    model_config = SettingsConfigDict(extra="forbid", populate_by_name=True, case_sensitive=False)

    # Directory for Lifecycle's own files: the SQLite database (default), secret.key,
    # build-logs/, workspaces and artifacts of the builder, plugin data.
    data_dir: Path = Field(Path(".racetrack-data"), validation_alias=_alias("data_dir", "RACETRACK_DATA_DIR"))
    # SQLAlchemy URL of the database: postgresql://user:pass@host:5432/db or sqlite:///path.
    # Unset: SQLite at <data_dir>/lifecycle.db.
    database_url: str | None = Field(None, validation_alias=_alias("database_url", "DATABASE_URL"))
    # Base URL users reach Lifecycle at (reported by /info; the CLI's remote).
    lifecycle_url: str = Field(
        "http://127.0.0.1:7202/lifecycle", validation_alias=_alias("lifecycle_url", "EXTERNAL_LIFECYCLE_URL")
    )
    # Base URL users reach PUB at; a job's pub_url is <external_pub_url>/job/<name>/<version>.
    external_pub_url: str = "http://127.0.0.1:7205/pub"
    # PUB's URL as seen from inside jobs, given to every job as PUB_URL (job-to-job calls).
    internal_pub_url: str = "http://127.0.0.1:7205/pub"
    # Grafana's URL reported by /info (null when there is none).
    external_grafana_url: str | None = None
    # The cluster's domain. When set, everything is reached at https://<racetrack_subdomain>.<cluster_fqdn>
    # (/lifecycle, /pub, /grafana; these replace the three external URLs above) and the auth
    # cookie is valid for that host (Dashboard, Lifecycle and PUB share it).
    cluster_fqdn: str | None = Field(None, validation_alias=_alias("cluster_fqdn", "CLUSTER_FQDN"))
    # The host name under cluster_fqdn.
    racetrack_subdomain: str = Field(
        "racetrack", min_length=1, validation_alias=_alias("racetrack_subdomain", "RACETRACK_SUBDOMAIN")
    )
    # Require a valid token on every API call except the public ones. When false, calls
    # without a (valid) token act as an anonymous subject allowed everything.
    auth_required: bool = True
    # Put the detailed reason (subject, resource, scope) into 401 messages.
    auth_debug: bool = False
    # Let any deployment overwrite an existing or deleted name+version without --force.
    allow_job_overwrite: bool = False
    # Default infrastructure target when several are installed and the manifest names none.
    infrastructure_target: str | None = None
    # Memory request of a job whose manifest gives none (Kubernetes quantity).
    default_job_memory_min: str = "256Mi"
    # Memory limit of a job whose manifest gives none.
    default_job_memory_max: str = "1Gi"
    # CPU request of a job whose manifest gives none.
    default_job_cpu_min: str = "10m"
    # CPU limit of a job whose manifest gives none.
    default_job_cpu_max: str = "1000m"
    # Highest memory limit a manifest may ask for.
    max_job_memory_limit: str = "8Gi"
    # Seconds a new deployment has to answer /live with its deployment_timestamp.
    timeout_until_job_alive: float = 360.0
    # Seconds a live job has to answer /ready.
    timeout_until_job_ready: float = 600.0
    # Seconds a blocking redeploy/reprovision request waits for its deployment to finish.
    redeploy_wait_timeout: float = 1800.0
    # Header carrying the request tracing id (given to jobs as REQUEST_TRACING_HEADER).
    request_tracing_header: str = "X-Request-Tracing-Id"
    # Header carrying the caller's description (given to jobs as CALLER_NAME_HEADER).
    caller_name_header: str = "X-Caller-Name"
    # Password of the first admin account, created at the very first start only. Unset: a
    # random one is generated and logged once.
    admin_password: SecretStr | None = Field(
        None, validation_alias=_alias("admin_password", "RACETRACK_ADMIN_PASSWORD")
    )
    # Key encrypting tokens and secrets at rest (a Fernet key, or any passphrase, which is
    # stretched into one). Unset: read from secret_key_file, created on first start.
    secret_key: SecretStr | None = Field(None, validation_alias=_alias("secret_key", "RACETRACK_SECRET_KEY"))
    # File holding the key when secret_key is unset (created with mode 600). Unset:
    # <data_dir>/secret.key.
    secret_key_file: Path | None = None
    # Largest uploaded build context (decoded tar.gz bytes); bigger ones are refused with 413.
    max_build_context_bytes: int = 64 * 1024 * 1024
    # Version of this Racetrack build, reported by /info and /health.
    git_version: str = Field("unknown", validation_alias=_alias("git_version", "GIT_VERSION"))
    # Image tag of this Racetrack build, reported by /info and /health.
    docker_tag: str = Field("latest", validation_alias=_alias("docker_tag", "DOCKER_TAG"))
    # Each plugin's configuration, keyed by plugin name (handed to it as PluginContext.settings).
    plugins: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Seconds between two status synchronisations with the infrastructure targets (0 disables).
    sync_interval: float = 10.0
    # Seconds between two background database checks feeding /health and metrics (0 disables).
    database_status_refresh_interval: float = 60.0
    # Deployments run at the same time by this process.
    deployment_workers: int = Field(4, ge=1)
    # Seconds a job environment (virtualenv) is kept after its last use by a deployment, once
    # no job of any target runs from it any more; 0 keeps every environment forever.
    environment_retention: float = Field(7 * 24 * 3600.0, ge=0)
    # Seconds between two looks for environments to prune (done by the status loop).
    environment_prune_interval: float = Field(3600.0, gt=0)
    # Directory of the plugins installed as ZIP bundles (shared by every Lifecycle process).
    # Unset: <data_dir>/plugin-bundles.
    plugins_dir: Path | None = Field(None, validation_alias=_alias("plugins_dir", "PLUGINS_DIR"))
    # Largest plugin bundle accepted by an upload, in bytes.
    max_plugin_bytes: int = Field(100 * 1024 * 1024, gt=0)
    # Seconds between two heartbeats of a running deployment.
    deployment_heartbeat_interval: float = Field(5.0, gt=0)
    # A deployment in progress whose heartbeat is older than this many seconds was left by a
    # process that died: it is marked failed ("halted due to server restart").
    deployment_stale_after: float = Field(60.0, gt=0)
    # Failed logins allowed per username (from any address) within login_attempts_window.
    login_attempts_limit: int = Field(5, ge=1)
    # Failed logins allowed per client address (for any usernames) within login_attempts_window.
    login_attempts_per_client_limit: int = Field(20, ge=1)
    # Seconds over which failed logins are counted.
    login_attempts_window: float = Field(60.0, gt=0)
    # Comma-separated addresses or networks (CIDR) of the reverse proxies in front of Lifecycle
    # (ingress, load balancer). A request from one of them is attributed to the address it
    # names in X-Forwarded-For, so login limits count real clients, not the proxy.
    trusted_proxies: str = ""
    # Mark the auth cookie Secure (only sent over HTTPS).
    enforce_secure_cookie: bool = Field(
        False, validation_alias=_alias("enforce_secure_cookie", "ENFORCE_SECURE_COOKIE")
    )
    # Log level used by the entry point that configures logging (debug, info, warn, error).
    log_level: str = "info"
    # Name of this installation shown in the Dashboard's header ("test", "preprod", "prod" also
    # colour it green, orange, red). Unset: no name, black header.
    site_name: str | None = Field(None, validation_alias=_alias("site_name", "SITE_NAME"))
    # Directory of the Markdown pages the Dashboard's Docs tab shows. Unset: the docs/ directory
    # of the source checkout Racetrack runs from, when there is one.
    docs_dir: Path | None = Field(None, validation_alias=_alias("docs_dir", "DOCS_DIR"))

    @field_validator("lifecycle_url", "external_pub_url", "internal_pub_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _cluster_urls(self) -> LifecycleSettings:
        host = self.cluster_host
        if host is not None:
            self.lifecycle_url = f"https://{host}/lifecycle"
            self.external_pub_url = f"https://{host}/pub"
            self.external_grafana_url = f"https://{host}/grafana"
        return self

    @property
    def cluster_host(self) -> str | None:
        """``<racetrack_subdomain>.<cluster_fqdn>`` when a cluster domain is set (the cookie domain too)."""
        if not self.cluster_fqdn:
            return None
        return f"{self.racetrack_subdomain.strip('.')}.{self.cluster_fqdn.strip('.')}"

    @field_validator("trusted_proxies")
    @classmethod
    def _parse_proxies(cls, value: str) -> str:
        for item in value.split(","):
            if item.strip():
                try:
                    ipaddress.ip_network(item.strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        f"{item.strip()!r} is not an IP address or network; expected e.g. "
                        "10.0.0.0/8,192.168.1.5"
                    ) from None
        return value

    @property
    def resolved_plugins_dir(self) -> Path:
        return self.plugins_dir if self.plugins_dir is not None else self.data_dir / "plugin-bundles"

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False)
            for item in self.trusted_proxies.split(",")
            if item.strip()
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            if not Path(config_file).is_file():
                raise ValueError(f"{CONFIG_FILE_ENV} names a file that does not exist: {config_file}")
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        """The database URL in use: ``database_url`` or SQLite inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lifecycle.db').resolve()}"

    @property
    def resolved_secret_key_file(self) -> Path:
        return self.secret_key_file or self.data_dir / "secret.key"

    @property
    def build_logs_dir(self) -> Path:
        return self.data_dir / "build-logs"
