"""``python -m racetrack_job_runtime run <entrypoint_path> [<entrypoint_class>] [--port N] [--host H]``."""

from __future__ import annotations

import argparse
import sys

from racetrack_job_runtime.settings import DEFAULT_PORT


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m racetrack_job_runtime",
        description="Serve a Racetrack python3 job: a Python class exposed as a REST service.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve the entrypoint class (working directory = job directory)")
    run.add_argument("entrypoint_path", help="path of the .py file holding the entrypoint class")
    run.add_argument("entrypoint_class", nargs="?", default=None, help="class name (default: the only one)")
    run.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    run.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from racetrack_job_runtime.errors import JobRuntimeError
    from racetrack_job_runtime.server import run
    from racetrack_job_runtime.settings import Settings

    try:
        settings = Settings.from_env()
    except JobRuntimeError as e:
        sys.stderr.write(f"error: {e}\n")
        raise SystemExit(2) from None
    run(
        args.entrypoint_path, args.entrypoint_class or None, host=args.host, port=args.port, settings=settings
    )


if __name__ == "__main__":
    main()
