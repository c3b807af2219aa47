"""``racetrack deploy`` and ``racetrack validate``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from racetrack.client.errors import ClientError
from racetrack.client.options import RemoteOption, cli_state

if TYPE_CHECKING:
    from racetrack.client.config import ClientConfig
    from racetrack.client.output import Output
    from racetrack.client.remote import Remote
    from racetrack.client.session import Session
    from racetrack.manifest import LoadedManifest, Manifest

SAMPLE_OWNER_EMAIL = "sample@example.com"


class BuildContextMode(StrEnum):
    local = "local"
    git = "git"


ExtraVarsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--extra-vars",
        "-e",
        metavar="KEY=VALUE",
        help="Override a manifest value, e.g. -e git.branch=dev (repeatable).",
    ),
]


def deploy(
    ctx: typer.Context,
    workdir: Annotated[
        str,
        typer.Argument(metavar="WORKDIR", help="Directory with job.yaml, or the path of a manifest file."),
    ] = ".",
    remote_positional: Annotated[
        str | None,
        typer.Argument(metavar="REMOTE", help="Deprecated: use --remote.", show_default=False),
    ] = None,
    remote: RemoteOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Overwrite an existing (or deleted) job of the same name and version."),
    ] = False,
    build_context: Annotated[
        BuildContextMode | None,
        typer.Option(
            "--build-context",
            case_sensitive=False,
            help="Build from the local files or from git. Default: local only when deploying a "
            "sample (owner sample@example.com) to localhost, git otherwise.",
            show_default=False,
        ),
    ] = None,
    extra_vars: ExtraVarsOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Build the image without cache.")] = False,
) -> None:
    """Deploy a job: send its manifest to Racetrack and follow the deployment until it is done."""
    state = cli_state(ctx)
    out = state.out
    if remote_positional:
        if remote:
            raise ClientError("give the remote either as --remote or as the REMOTE argument, not both")
        out.warning("The REMOTE argument of deploy is deprecated, use --remote REMOTE")
        remote = remote_positional

    from racetrack.client.progress import follow_deployment
    from racetrack.client.session import open_session

    loaded = _load(workdir, extra_vars or [], out)
    manifest = loaded.manifest
    session = open_session(state, remote)
    out.info(
        f'deploying workspace "{workdir}" (job {manifest.name} v{manifest.version}) to {session.remote.url}'
    )
    payload = deploy_payload(loaded, session.config, session.remote, build_context, force, out)
    if no_cache:
        payload["build_flags"] = ["--no-cache"]
    response = session.client.post("deploy", payload)
    deployment_id = str(response["id"])
    out.info(f"job deployment requested: {deployment_id}")
    deployment = follow_deployment(session.client, deployment_id, out)
    pub_url = (deployment.get("job") or {}).get("pub_url") or _pub_url(session, manifest)
    out.notice(f'Job "{manifest.name}" has been deployed. Check out {pub_url} to access your Job')


def validate(
    ctx: typer.Context,
    path: Annotated[
        str, typer.Argument(metavar="PATH", help="Directory with job.yaml, or the path of a manifest file.")
    ] = ".",
    extra_vars: ExtraVarsOption = None,
) -> None:
    """Validate a manifest (with its overlays and extra vars) and print the result as YAML."""
    out = cli_state(ctx).out
    loaded = _load(path, extra_vars or [], out)
    out.info(f'Manifest file "{loaded.manifest_path}" is valid')
    out.data(loaded.manifest.to_yaml())


def _load(path: str, extra_vars: list[str], out: Output) -> LoadedManifest:
    from racetrack.manifest import load_manifest

    loaded = load_manifest(path, extra_vars=extra_vars)
    for warning in loaded.warnings:
        out.warning(warning)
    out.debug(f"manifest loaded from {loaded.manifest_path}")
    return loaded


def deploy_payload(
    loaded: LoadedManifest,
    config: ClientConfig,
    remote: Remote,
    mode: BuildContextMode | None,
    force: bool,
    out: Output,
) -> dict[str, Any]:
    """The body of ``POST /api/v1/deploy``."""
    manifest = loaded.manifest
    git_remote = manifest.git.remote
    credentials = config.find_git_credentials(git_remote)
    if credentials:
        out.debug(f"using git credentials of user {credentials.username} for {git_remote}")
    return {
        "manifest": manifest.to_dict(),
        "git_credentials": credentials.to_dict() if credentials else None,
        "secret_vars": secret_vars(loaded),
        "build_context": build_context_payload(loaded, remote, mode, out),
        "force": force,
    }


def use_local_context(manifest: Manifest, remote: Remote, mode: BuildContextMode | None, out: Output) -> bool:
    """``--build-context`` if given; else local only for a sample deployed to localhost."""
    if mode is not None:
        return mode is BuildContextMode.local
    if remote.is_local and manifest.owner_email == SAMPLE_OWNER_EMAIL:
        out.info("using local build context due to deploying to localhost")
        return True
    return False


def build_context_payload(
    loaded: LoadedManifest, remote: Remote, mode: BuildContextMode | None, out: Output
) -> str | None:
    if not use_local_context(loaded.manifest, remote, mode, out):
        return None
    from racetrack.client.context import pack_build_context
    from racetrack.core.humanize import size

    manifest = loaded.manifest
    context = pack_build_context(
        Path(loaded.job_dir),
        on_skip=lambda path: out.warning(f"build context: skipping link or special file {path}"),
        secret_files=[
            Path(file) for file in (manifest.secret_build_env_file, manifest.secret_runtime_env_file) if file
        ],
    )
    out.info(f"local build context encoded: {len(context.files)} files, {size(context.compressed_size)}")
    for name in context.files:
        out.debug(f"build context: {name}")
    return context.encoded


def secret_vars(loaded: LoadedManifest) -> dict[str, dict[str, str] | None]:
    """Secret env vars read from the files the manifest names, relative to the job directory."""
    from racetrack.manifest import read_secret_env_file

    manifest = loaded.manifest
    result: dict[str, dict[str, str] | None] = {"build_env": None, "runtime_env": None}
    for key, file in (
        ("build_env", manifest.secret_build_env_file),
        ("runtime_env", manifest.secret_runtime_env_file),
    ):
        if file:
            result[key] = read_secret_env_file(Path(loaded.job_dir) / file)
    return result


def _pub_url(session: Session, manifest: Manifest) -> str:
    """The job's PUB address when the deployment didn't report it."""
    info = session.client.get("info", auth=False)
    pub = info.get("external_pub_url") if isinstance(info, dict) else None
    return f"{str(pub).rstrip('/')}/job/{manifest.name}/{manifest.version}" if pub else "PUB"
