"""The ``racetrack`` command: the typer app, its global options and the error handler.

Only typer and this package's light modules are imported here; commands import what they
need (httpx, yaml, rich, the manifest package, the server) when they run.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from racetrack.client.commands import activity, admin, auth, deploy, jobs, plugin, redeploy, server, settings
from racetrack.client.output import Output
from racetrack.client.session import INSECURE_ENV, CliState, insecure_from_env
from racetrack.core.errors import RacetrackError

EXIT_ERROR = 1


class RacetrackGroup(TyperGroup):
    """The root group: turns any error of a command into one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            raise  # the framework's own handling (usage errors, exit codes, closed pipes)
        except RacetrackError as e:
            _output(ctx).error(str(e))
            raise typer.Exit(EXIT_ERROR) from None
        except Exception as e:
            out = _output(ctx)
            out.error(describe_unexpected(e))
            if out.verbose:
                sys.stderr.write("".join(traceback.format_exception(e)))
            raise typer.Exit(EXIT_ERROR) from None


def _output(ctx: typer.Context) -> Output:
    return ctx.obj.out if isinstance(ctx.obj, CliState) else Output()


def describe_unexpected(error: BaseException) -> str:
    """One line for an unexpected error: message, root cause type, compact ``file:line`` chain."""
    root = error
    while (root.__cause__ or root.__context__) is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    frames = traceback.extract_tb(root.__traceback__ or error.__traceback__)[-4:]
    chain = " < ".join(f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(frames))
    message = str(error) or type(error).__name__
    cause = type(root).__name__ if root is error else f"{type(root).__name__}: {root}"
    return f"{message} ({cause}; at {chain}). Run with -v for the full traceback"


app = typer.Typer(
    cls=RacetrackGroup,
    name="racetrack",
    help="Deploy jobs to Racetrack and manage them.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug messages.")] = False,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help=f"Don't verify TLS certificates of the server (or set {INSECURE_ENV}=1).",
        ),
    ] = False,
) -> None:
    """Deploy jobs to Racetrack and manage them."""
    state = CliState(out=Output(verbose=verbose), insecure=insecure or insecure_from_env())
    ctx.obj = state
    ctx.call_on_close(state.close)
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        sys.stdout.write(ctx.get_help() + "\n")


app.command("deploy", no_args_is_help=False)(deploy.deploy)
app.command("validate")(deploy.validate)
app.command("list")(jobs.list_jobs)
app.command("call", no_args_is_help=True)(jobs.call)
app.command("logs", no_args_is_help=True)(jobs.logs)
app.command("build-logs", no_args_is_help=True)(jobs.build_logs)
app.command("delete", no_args_is_help=True)(jobs.delete)
app.command("redeploy", no_args_is_help=True)(redeploy.redeploy)
app.command("reprovision", no_args_is_help=True)(redeploy.reprovision)
app.command("move", no_args_is_help=True)(redeploy.move)
app.command("deployments")(activity.deployments)
app.command("activity")(activity.activity)
app.command("info")(activity.info)
app.command("login")(auth.login)
app.command("logout")(auth.logout)
app.add_typer(settings.set_app)
app.add_typer(settings.get_app)
app.command("version")(settings.version)
app.add_typer(admin.admin_app)
app.add_typer(plugin.plugin_app)
app.command("up")(server.up)
app.command("serve", no_args_is_help=True)(server.serve)


def run() -> None:
    """Console-script entry point."""
    app(prog_name="racetrack")


if __name__ == "__main__":
    run()
