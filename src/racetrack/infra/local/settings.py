"""Settings of the local infrastructure target (plugin settings of ``local``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from racetrack.core.errors import InvalidInputError, validation_problems


class LocalSettings(BaseModel):
    """How the local target runs job replicas as processes on this machine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # lowest loopback port given to a job replica
    port_min: int = Field(17000, ge=1024, le=65535)
    # highest loopback port given to a job replica
    port_max: int = Field(17999, ge=1024, le=65535)
    # seconds between the supervisor's checks for crashed replicas and memory use
    supervise_interval: float = Field(0.5, gt=0)
    # seconds between memory checks (each one reads /proc/<pid>/stat of every process on the host)
    memory_check_interval: float = Field(1.0, gt=0)
    # first delay before restarting a crashed replica; doubled after each crash
    restart_backoff_min: float = Field(1.0, gt=0)
    # longest delay before restarting a crashed replica
    restart_backoff_max: float = Field(60.0, gt=0)
    # a replica that ran this many seconds before crashing is restarted after the first delay again
    backoff_reset_after: float = Field(60.0, gt=0)
    # seconds between SIGTERM and SIGKILL when stopping a replica
    stop_timeout: float = Field(5.0, ge=0)
    # timeout of the quick /live probe in list_jobs (seconds); 0 = check processes only
    probe_timeout: float = Field(1.0, ge=0)
    # a replica's log file larger than this is moved to replica-<i>.log.1 when the replica (re)starts
    log_max_bytes: int = Field(50 * 1024 * 1024, gt=0)

    @model_validator(mode="after")
    def _check_ranges(self) -> LocalSettings:
        if self.port_min > self.port_max:
            raise ValueError(f"port_min {self.port_min} is above port_max {self.port_max}")
        if self.restart_backoff_min > self.restart_backoff_max:
            raise ValueError("restart_backoff_min is above restart_backoff_max")
        return self

    @classmethod
    def from_plugin_settings(cls, settings: dict[str, Any]) -> LocalSettings:
        """Validate the ``local`` plugin's settings; an error names the offending setting."""
        try:
            return cls.model_validate(settings)
        except ValidationError as e:
            raise InvalidInputError(
                f"invalid settings of the local infrastructure target: {validation_problems(e, 'settings')}"
            ) from e
