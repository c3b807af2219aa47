"""``python -m bench [runtime|pub|deploy|cli|all] [options]``: run suites, print tables, save JSON."""

from __future__ import annotations

import argparse
import traceback
from dataclasses import replace

from bench.errors import BenchError
from bench.options import Options
from bench.quiet import busy_share, wait_quiet
from bench.report import machine
from bench.suites import SUITES, runner

QUIET_BUSY = 0.25  # share of busy CPUs before a suite above which its figures are flagged


def parse_args(argv: list[str] | None) -> tuple[list[str], Options]:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Side-by-side benchmarks: figures, ratios and PASS/MISS against the targets; "
        "JSON results in bench/results/.",
    )
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help=f"one or more of {', '.join(SUITES)}, or all (default)"
    )
    parser.add_argument(
        "--duration", type=float, default=defaults.duration, help="seconds per measured wrk run"
    )
    parser.add_argument(
        "--warmup", type=float, default=defaults.warmup, help="seconds of discarded wrk before each run"
    )
    parser.add_argument(
        "--rounds", type=int, default=defaults.rounds, help="interleaved rounds (medians reported)"
    )
    parser.add_argument("--wrk-threads", type=int, default=defaults.wrk_threads)
    parser.add_argument(
        "--deploy-repeats",
        type=int,
        default=defaults.deploy_repeats,
        help="cold deployments per sample (each in a fresh data dir)",
    )
    parser.add_argument(
        "--warm-redeploys",
        type=int,
        default=defaults.warm_redeploys,
        help="unchanged-dependency redeploys after each cold deployment",
    )
    parser.add_argument("--cli-runs", type=int, default=defaults.cli_runs, help="hyperfine runs per command")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy our server under load and print top frames"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=defaults.wait_quiet,
        metavar="SECONDS",
        help="before each suite, wait up to SECONDS for idle CPUs (other work skews the figures)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs for checking the harness (not for figures)"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.suites if name not in (*SUITES, "all")]
    if unknown:
        parser.error(f"unknown suite {unknown[0]!r}: choose from {', '.join(SUITES)}, all")
    options = replace(
        defaults,
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        wrk_threads=args.wrk_threads,
        deploy_repeats=args.deploy_repeats,
        warm_redeploys=args.warm_redeploys,
        cli_runs=args.cli_runs,
        profile=args.profile,
        wait_quiet=args.wait_quiet,
    )
    if args.quick:
        options = replace(
            options,
            duration=2,
            warmup=0.5,
            rounds=1,
            deploy_repeats=1,
            warm_redeploys=1,
            cli_runs=5,
            quick=True,
        )
    suites = list(SUITES) if not args.suites or "all" in args.suites else list(dict.fromkeys(args.suites))
    return suites, options


def main(argv: list[str] | None = None) -> int:
    suites, options = parse_args(argv)
    info = machine()
    print(f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gib']} GiB, Python {info['python']}")
    print(f"server logs: {options.logs}")
    failed: list[str] = []
    missed: list[str] = []
    for name in suites:
        busy = wait_quiet(options.wait_quiet) if options.wait_quiet > 0 else busy_share()
        print(f"\n>>> suite {name} (CPUs {100 * busy:.0f} % busy by other work before it)", flush=True)
        try:
            result = runner(name)(options)
        except BenchError as e:
            print(f"\nFAILED suite {name}: {e}", flush=True)
            failed.append(name)
            continue
        except Exception:
            traceback.print_exc()
            print(f"\nFAILED suite {name}: unexpected error (traceback above)", flush=True)
            failed.append(name)
            continue
        result.data["cpu_busy_before"] = round(busy, 3)
        if busy > QUIET_BUSY:
            result.notes.append(
                f"other work used {100 * busy:.0f} % of the CPUs just before this suite: "
                "rerun on a quiet machine for stable figures"
            )
        print("\n" + result.render())
        print(f"saved {result.save(options.quick)}", flush=True)
        missed += [f"{name}: {t.name}" for t in result.targets if not t.passed]
    print()
    if missed:
        print("targets missed:\n  " + "\n  ".join(missed))
    if failed:
        print(f"suites that could not run: {', '.join(failed)}")
        return 1
    return 0
