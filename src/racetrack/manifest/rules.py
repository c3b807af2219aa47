"""Field rules of the manifest: each check raises ValueError with a one-line message.

The ``*_PATTERN`` constants are the same rules in JSON-schema form (see ``schema.py``).
"""

from __future__ import annotations

import posixpath
import re

from racetrack.core.semver import SemanticVersion
from racetrack.manifest.errors import quote

NAME_MAX_LENGTH = 40
RESOURCE_NAME_MAX_LENGTH = 63  # a DNS label

NAME_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
EMAIL_PATTERN = r"^.+@.+$"
REMOTE_PATTERN = r"^https://"
JOBTYPE_PATTERN = r"^[^:]+:[^:]+$"
ENDPOINT_PATTERN = r"^/"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
PACKAGE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9+.:_=~-]*$"
SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
SUPPORTED_IMAGE_TYPES = ("docker",)

_NAME = re.compile(NAME_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)
_ENV_NAME = re.compile(ENV_NAME_PATTERN)
_PACKAGE = re.compile(PACKAGE_PATTERN)


def check_name(name: str) -> str:
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"{quote(name)} is {len(name)} characters long, the limit is {NAME_MAX_LENGTH}")
    if not _NAME.match(name):
        raise ValueError(
            f"{quote(name)} is not a valid job name: use lowercase letters, digits and '-', "
            "start with a letter and end with a letter or digit (e.g. text-stats)"
        )
    return name


def check_email(email: str) -> str:
    if not _EMAIL.match(email):
        raise ValueError(f"{quote(email)} is not an e-mail address (expected name@domain)")
    return email


def check_remote(remote: str) -> str:
    if not remote.startswith("https://"):
        hint = (
            " (SSH remotes are not supported)"
            if remote.startswith(("ssh://", "git@", "git://")) or ("@" in remote and "://" not in remote)
            else ""
        )
        raise ValueError(f"{quote(remote)} must start with https://{hint}")
    if len(remote) == len("https://"):
        raise ValueError("'https://' names no repository")
    return remote


def check_directory(directory: str) -> str:
    normalized = posixpath.normpath(directory)
    if directory.startswith("/") or normalized == ".." or normalized.startswith("../"):
        raise ValueError(
            f"{quote(directory)} must be a relative path inside the repository (e.g. services/churn)"
        )
    return directory


def check_jobtype(jobtype: str) -> str:
    name, sep, version = jobtype.partition(":")
    if not sep or not name or not version or ":" in version:
        raise ValueError(
            f"{quote(jobtype)} must be name:version with exactly one ':', e.g. python3:2.4.0, "
            "python3:2.*.* or python3:latest (job type should be specified as name:version)"
        )
    return jobtype


def check_version(version: str) -> str:
    if version != version.strip() or not SemanticVersion.is_valid(version):
        raise ValueError(f"Version {quote(version)} doesn't match SemVer format 'X.Y.Z[-label]'")
    return version


def check_endpoint(endpoint: str) -> str:
    if not endpoint.startswith("/"):
        raise ValueError(f"{quote(endpoint)} must start with '/' (e.g. /api/v1/webview)")
    return endpoint


def check_env_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise ValueError(
            f"{quote(name)} is not a valid environment variable name "
            "(letters, digits and '_', not starting with a digit)"
        )
    return name


def check_package(package: str) -> str:
    if not _PACKAGE.match(package):
        raise ValueError(f"{quote(package)} is not a package name (e.g. libgomp1 or curl=7.88.1-10)")
    return package


def check_image_type(image_type: str) -> str:
    if image_type not in SUPPORTED_IMAGE_TYPES:
        raise ValueError(f"{quote(image_type)} is not supported; the only image type is 'docker'")
    return image_type


def check_not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


def resource_name(name: str, version: str) -> str:
    """``job-<name>-v-<version>`` with dots and '+' as dashes, lowercase: a DNS label."""
    return f"job-{name}-v-{version.replace('.', '-').replace('+', '-')}".lower()
