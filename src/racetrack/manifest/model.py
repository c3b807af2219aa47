"""The typed job manifest: what a ``job.yaml`` may hold once overlays and extra vars are applied."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from racetrack.manifest import legacy, rules
from racetrack.manifest.quantity import Quantity
from racetrack.manifest.yaml_text import dump_yaml

_STRICT = ConfigDict(extra="forbid", frozen=True)

NonBlank = Annotated[str, AfterValidator(rules.check_not_blank)]
EnvName = Annotated[str, AfterValidator(rules.check_env_name)]
EnvVars = dict[EnvName, str]


class GitSpec(BaseModel):
    """Where the job's source lives."""

    model_config = _STRICT

    remote: Annotated[
        str,
        AfterValidator(rules.check_remote),
        Field(
            description="the HTTPS URL of the git repository",
            json_schema_extra={"pattern": rules.REMOTE_PATTERN},
            examples=["https://github.com/example/text-stats"],
        ),
    ]
    branch: Annotated[
        NonBlank | None,
        Field(description="the branch to check out; the repository's default branch when omitted"),
    ] = None
    directory: Annotated[
        str,
        AfterValidator(rules.check_directory),
        Field(description="the subdirectory of the repository holding the job (the build context)"),
    ] = "."


class DockerSpec(BaseModel):
    """Settings for job types whose image is built from the job's own Dockerfile."""

    model_config = _STRICT

    dockerfile_path: Annotated[
        NonBlank | None,
        Field(description="path of the job's Dockerfile, relative to the job directory"),
    ] = None


class Resources(BaseModel):
    """Memory (bytes) and CPU (cores) the job asks for; unset values take Lifecycle's defaults."""

    model_config = _STRICT

    memory_min: Annotated[
        Quantity | None, Field(description="memory always reserved for the job, e.g. 256Mi")
    ] = None
    memory_max: Annotated[
        Quantity | None, Field(description="memory limit of the job, e.g. 1Gi; set it explicitly")
    ] = None
    cpu_min: Annotated[Quantity | None, Field(description="CPU always reserved for the job, e.g. 10m")] = None
    cpu_max: Annotated[Quantity | None, Field(description="CPU limit of the job, e.g. 1000m")] = None


class Manifest(BaseModel):
    """A validated job manifest. Deprecated field names are mapped to the current ones on input."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Racetrack job manifest")

    name: Annotated[
        str,
        AfterValidator(rules.check_name),
        Field(
            description="the job name: lowercase letters, digits and '-', starting with a letter",
            json_schema_extra={"pattern": rules.NAME_PATTERN, "maxLength": rules.NAME_MAX_LENGTH},
            examples=["text-stats"],
        ),
    ]
    owner_email: Annotated[
        str,
        AfterValidator(rules.check_email),
        Field(
            description="the job owner's e-mail address",
            json_schema_extra={"pattern": rules.EMAIL_PATTERN},
            examples=["jane@example.org"],
        ),
    ]
    jobtype: Annotated[
        str,
        AfterValidator(rules.check_jobtype),
        Field(
            description="the job type and its version, name:version, e.g. python3:2.4.0",
            json_schema_extra={"pattern": rules.JOBTYPE_PATTERN},
            examples=["python3:2.4.0", "python3:2.*.*"],
        ),
    ]
    git: Annotated[GitSpec, Field(description="where the job's source lives: a mapping with `remote`")]
    version: Annotated[
        str,
        AfterValidator(rules.check_version),
        Field(
            description="the job version, SemVer X.Y.Z[-label]",
            json_schema_extra={"pattern": rules.SEMVER_PATTERN},
            examples=["0.1.2", "1.0.0-dev"],
        ),
    ] = "0.0.1"
    extends: Annotated[
        NonBlank | None,
        Field(description="relative path of a base manifest this one overlays"),
    ] = None
    jobtype_extra: Annotated[
        dict[str, Any] | None,
        Field(description="free-form settings owned by the job type"),
    ] = None
    docker: Annotated[
        DockerSpec | None, Field(description="settings for job types built from the job's own Dockerfile")
    ] = None
    image_type: Annotated[
        str,
        AfterValidator(rules.check_image_type),
        Field(
            description="the kind of image to build; only `docker`", json_schema_extra={"enum": ["docker"]}
        ),
    ] = "docker"
    system_dependencies: Annotated[
        list[Annotated[str, AfterValidator(rules.check_package)]] | None,
        Field(description="OS packages to install into the image"),
    ] = None
    build_env: Annotated[
        EnvVars | None, Field(description="environment variables set while building the image")
    ] = None
    runtime_env: Annotated[
        EnvVars | None, Field(description="environment variables set in the running job")
    ] = None
    secret_build_env_file: Annotated[
        NonBlank | None, Field(description="path of a KEY=VALUE file with secret build variables")
    ] = None
    secret_runtime_env_file: Annotated[
        NonBlank | None, Field(description="path of a KEY=VALUE file with secret runtime variables")
    ] = None
    labels: Annotated[dict[str, Any] | None, Field(description="metadata shown next to the job name")] = None
    public_endpoints: Annotated[
        list[
            Annotated[
                str,
                AfterValidator(rules.check_endpoint),
                Field(json_schema_extra={"pattern": rules.ENDPOINT_PATTERN}),
            ]
        ]
        | None,
        Field(description="endpoint path prefixes callable without authentication, once approved"),
    ] = None
    replicas: Annotated[
        int, Field(strict=True, ge=1, le=50, description="number of job instances, 1 to 50")
    ] = 1
    resources: Annotated[Resources | None, Field(description="memory and CPU demands")] = None
    infrastructure_target: Annotated[
        NonBlank | None, Field(description="name of the infrastructure target to deploy to")
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _map_deprecated_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return legacy.modernize(data)
        return data

    @model_validator(mode="after")
    def _check_resource_name(self) -> Manifest:
        length = len(self.resource_name)
        if length > rules.RESOURCE_NAME_MAX_LENGTH:
            raise ValueError(
                f"name and version are too long together: resource name '{self.resource_name}' "
                f"has {length} characters, the limit is {rules.RESOURCE_NAME_MAX_LENGTH}; "
                "shorten the name or the version"
            )
        return self

    @property
    def resource_name(self) -> str:
        """``job-<name>-v-<version>`` with dots and '+' as dashes, lowercase (a DNS label)."""
        return rules.resource_name(self.name, self.version)

    @property
    def jobtype_name(self) -> str:
        """``python3`` of ``python3:2.4.0``."""
        return self.jobtype.partition(":")[0]

    @property
    def jobtype_version(self) -> str:
        """``2.4.0`` of ``python3:2.4.0`` (may be ``latest`` or a ``*`` wildcard)."""
        return self.jobtype.partition(":")[2]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping with current field names only; null fields are dropped."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        """The manifest as YAML text, fields in their documented order."""
        return dump_yaml(self.to_dict())
