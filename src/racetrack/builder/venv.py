"""The local flavour of the image builder: a content-addressed virtualenv plus a source copy.

A job environment is identified by :func:`environment_key`, a SHA-256 of everything that
decides its content: the Python requested, the job type's packages, the content of the
packages copied in, the job's requirements files (and the files they include with
``-r``/``-c``), the recipe's ``cache_key_extra`` and the platform. Jobs with the same key
share one environment under ``<envs_dir>/<key>``.

An environment is built with uv into a temporary directory (``uv venv --relocatable``, then
``uv pip install``) and renamed into place only once complete, with a marker file written
last, so a half-built environment is never used. A file lock per key keeps two builds of the
same key (threads or processes) from building it twice. uv's cache (``<envs_dir>/../uv-cache``)
is shared by all builds, so a new environment mostly hard-links packages it already has.
The build environment (secret build vars included) exists only in uv's process environment;
it is never written to disk, and the build log masks the secret values.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

from racetrack.builder.logs import BuildLog
from racetrack.builder.sources import make_owner_writable
from racetrack.core.errors import DeploymentError, InvalidInputError
from racetrack.plugins.interfaces import Artifact, ArtifactKind, LocalRecipe

ENV_FORMAT = "1"  # bump to invalidate every existing environment
MARKER = ".racetrack-env.json"  # written last: its presence means "complete"
EXCERPT_LINES = 30
_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def _current_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _python_request(python: str) -> str:
    """What to pass to ``uv venv --python``: the platform's interpreter when the versions match."""
    return sys.executable if python == _current_python() else python


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".pyc"):
                continue
            path = Path(dirpath, name)
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _requirements_digest(path: Path, seen: set[Path] | None = None) -> str:
    """Digest of a requirements file and the files it includes with -r/-c (recursively)."""
    seen = set() if seen is None else seen
    path = path.resolve()
    if path in seen:
        return ""
    seen.add(path)
    try:
        content = path.read_bytes()
    except OSError as e:
        raise InvalidInputError(f"cannot read requirements file {path.name}: {e.strerror}") from e
    digest = hashlib.sha256(content)
    for line in content.decode("utf-8", errors="replace").splitlines():
        match = _INCLUDE.match(line)
        if match:
            included = path.parent / match.group(1)
            if included.is_file():
                digest.update(_requirements_digest(included, seen).encode())
    return digest.hexdigest()


def environment_key(recipe: LocalRecipe) -> str:
    """The SHA-256 (hex) naming the environment ``recipe`` describes."""
    digest = hashlib.sha256()

    def add(label: str, value: str) -> None:
        digest.update(f"{label}\0{value}\0".encode())

    add("format", ENV_FORMAT)
    add("python", recipe.python)
    if recipe.python == _current_python():
        add("interpreter", f"{sys.implementation.name}-{platform.python_version()}")
    for package in sorted(recipe.packages):
        add("package", package)
    for directory in sorted(recipe.copy_packages, key=lambda p: p.name):
        add("copy", f"{directory.name}:{_tree_digest(directory)}")
    for requirements in recipe.requirements_files:
        add("requirements", _requirements_digest(requirements))
    add("extra", recipe.cache_key_extra)
    add("platform", f"{sys.platform}-{platform.machine()}")
    return digest.hexdigest()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path``: serialises threads and processes alike."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _uv_environment(envs_dir: Path, build_env: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH"}}
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")  # use installed interpreters only
    env.update(build_env)
    env.update(UV_CACHE_DIR=str(envs_dir.parent / "uv-cache"), UV_NO_PROGRESS="1", NO_COLOR="1")
    return env


def _uv_bin() -> str:
    try:
        from uv import find_uv_bin
    except ImportError as e:  # pragma: no cover - uv is a dependency of racetrack
        raise DeploymentError(
            "the uv package is not installed; install racetrack with its dependencies"
        ) from e
    return str(find_uv_bin())


def _stream(
    step: str, cmd: list[str], *, env: dict[str, str], cwd: Path, log: BuildLog, timeout: float
) -> None:
    """Run a build command, streaming its output into ``log``; raise with an excerpt on failure."""
    log.write("$ " + " ".join([Path(cmd[0]).name, *cmd[1:]]))
    excerpt: deque[str] = deque(maxlen=EXCERPT_LINES)
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    watchdog = threading.Timer(timeout, kill)
    watchdog.daemon = True
    watchdog.start()
    try:
        with proc:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = log.scrub(raw.decode("utf-8", errors="replace").rstrip("\n"))
                excerpt.append(line)
                log.write(line)
        code = proc.returncode
    finally:
        watchdog.cancel()
    if timed_out.is_set():
        raise DeploymentError(f"{step} timed out after {timeout:.0f} s:\n" + "\n".join(excerpt))
    if code != 0:
        raise DeploymentError(f"{step} failed (exit code {code}):\n" + "\n".join(excerpt))


def _site_packages(env_dir: Path) -> Path:
    found = sorted(env_dir.glob("lib/python*/site-packages"))
    if len(found) != 1:
        raise DeploymentError(f"cannot find site-packages in the new environment {env_dir.name}")
    return found[0]


def _build(
    recipe: LocalRecipe,
    key: str,
    target: Path,
    *,
    env: dict[str, str],
    cwd: Path,
    log: BuildLog,
    timeout: float,
) -> None:
    uv = _uv_bin()
    python = _python_request(recipe.python)
    _stream(
        "creating the virtualenv",
        [uv, "venv", "--relocatable", "--no-project", "--python", python, str(target)],
        env=env,
        cwd=cwd,
        log=log,
        timeout=timeout,
    )
    requirements = [arg for path in recipe.requirements_files for arg in ("-r", str(path))]
    if recipe.packages or requirements:
        _stream(
            "installing requirements",
            [
                uv,
                "pip",
                "install",
                "--python",
                str(target / "bin" / "python"),
                *recipe.packages,
                *requirements,
            ],
            env=env,
            cwd=cwd,
            log=log,
            timeout=timeout,
        )
    site = _site_packages(target)
    for package in recipe.copy_packages:
        if not package.is_dir():
            raise DeploymentError(f"package directory {package} to copy into the environment is missing")
        destination = site / package.name
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(package, destination, ignore=_IGNORED)
        log.write(f"copied package {package.name} into the environment")
    marker = {
        "key": key,
        "python": recipe.python,
        "packages": sorted(recipe.packages),
        "copy_packages": [p.name for p in recipe.copy_packages],
        "requirements_files": [p.name for p in recipe.requirements_files],
        "created": int(time.time()),
    }
    (target / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def ensure_environment(
    recipe: LocalRecipe,
    *,
    envs_dir: Path,
    build_env: Mapping[str, str],
    log: BuildLog,
    cwd: Path,
    timeout: float = 1800.0,
) -> tuple[str, Path]:
    """The (key, directory) of the environment for ``recipe``, built unless already complete."""
    key = environment_key(recipe)
    final = envs_dir / key
    with _file_lock(envs_dir / ".locks" / f"{key}.lock"):  # also keeps prune_environments away
        if (final / MARKER).is_file():
            os.utime(final / MARKER)  # its last use: unused environments are pruned after a while
            log.write(f"reusing job environment env:{key[:12]}")
            return key, final
        for leftover in envs_dir.glob(f".tmp-{key[:16]}-*"):  # a crashed build of this key
            shutil.rmtree(leftover, ignore_errors=True)
        if final.exists():
            shutil.rmtree(final)
        log.write(f"building job environment env:{key[:12]} (python {recipe.python})")
        tmp = envs_dir / f".tmp-{key[:16]}-{uuid.uuid4().hex[:8]}"
        try:
            _build(
                recipe, key, tmp, env=_uv_environment(envs_dir, build_env), cwd=cwd, log=log, timeout=timeout
            )
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return key, final


def _last_used(env_dir: Path) -> float:
    marker = env_dir / MARKER
    return (marker if marker.is_file() else env_dir).stat().st_mtime


def _size(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
    return total


def prune_environments(envs_dir: Path, *, keep: Collection[Path], unused_for: float) -> tuple[list[str], int]:
    """Delete job environments last used over ``unused_for`` seconds ago and not in ``keep``.

    "Used" means built or reused by a deployment (the marker's mtime); ``keep`` holds the
    environments of the jobs the targets still run, however old. Leftovers of crashed builds
    go by the same age rule. Each environment is checked and deleted under its key's lock, so
    a deployment reusing it at that moment either refreshes it first or finds it gone and
    builds it again. Returns the deleted keys and the bytes freed.
    """
    if not envs_dir.is_dir():
        return [], 0
    kept = {Path(path).resolve() for path in keep}
    cutoff = time.time() - unused_for
    removed: list[str] = []
    freed = 0
    for entry in sorted(envs_dir.iterdir()):
        if not entry.is_dir() or entry.is_symlink() or entry.name == ".locks" or entry.resolve() in kept:
            continue
        if entry.name.startswith(".tmp-"):  # a build that crashed (live builds are far younger)
            if entry.stat().st_mtime < cutoff:
                freed += _size(entry)
                shutil.rmtree(entry, ignore_errors=True)
            continue
        with _file_lock(envs_dir / ".locks" / f"{entry.name}.lock"):
            if not entry.is_dir() or _last_used(entry) >= cutoff:
                continue
            freed += _size(entry)
            shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry.name)
    return removed, freed


def copy_source(workspace: Path, destination: Path) -> Path:
    """Copy the job directory (without ``.git``) to ``destination``, owner-writable."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(workspace, destination, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    make_owner_writable(destination)
    return destination


def build_local_artifact(
    recipe: LocalRecipe,
    *,
    workspace: Path,
    envs_dir: Path,
    artifacts_dir: Path,
    job_name: str,
    job_version: str,
    deployment_id: str,
    build_env: dict[str, str],
    log: BuildLog,
    timeout: float = 1800.0,
) -> Artifact:
    """Build (or reuse) the job's environment and copy its source to its private working dir.

    Args:
        recipe: the job type's local recipe.
        workspace: the job directory prepared by ``prepare_workspace``.
        envs_dir: where content-addressed environments live (uv's cache is ``<envs_dir>/../uv-cache``).
        artifacts_dir: the source copy goes to ``<artifacts_dir>/<job>/<version>/<deployment_id>``.
        job_name: the job's name.
        job_version: the job's version.
        deployment_id: the deployment building it.
        build_env: env vars of the build (plain and secret): uv's process environment only.
        log: the build log (register secret values with it first).
        timeout: seconds each uv command may take.

    Raises:
        DeploymentError: uv failed; the message ends with the last lines of its output.
    """
    for label, value in (
        ("job name", job_name),
        ("job version", job_version),
        ("deployment id", deployment_id),
    ):
        if not _SAFE_COMPONENT.match(value):
            raise InvalidInputError(f"invalid {label} {value!r}")
    started = time.monotonic()
    key, env_dir = ensure_environment(
        recipe, envs_dir=envs_dir, build_env=build_env, log=log, cwd=workspace, timeout=timeout
    )
    source_dir = copy_source(workspace, artifacts_dir / job_name / job_version / deployment_id)
    log.write(f"job environment env:{key[:12]} and source ready in {time.monotonic() - started:.1f} s")
    return Artifact(
        kind=ArtifactKind.LOCAL,
        name=f"env:{key[:12]}",
        env_dir=env_dir,
        source_dir=source_dir,
        command=list(recipe.command),
        env=dict(recipe.env),
    )
