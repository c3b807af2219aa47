"""Side by side: the same load against several contenders, interleaved round by round."""

from __future__ import annotations

from collections.abc import Mapping

from bench.load import Load, LoadResult, run_wrk
from bench.options import Options
from bench.stats import median_load


def interleaved(contenders: Mapping[str, Load], options: Options) -> dict[str, dict[int, LoadResult]]:
    """For each round, each concurrency, each contender: warm up, then measure. Medians over rounds."""
    runs: dict[str, dict[int, list[LoadResult]]] = {
        k: {c: [] for c in options.concurrencies} for k in contenders
    }
    for round_no in range(1, options.rounds + 1):
        for connections in options.concurrencies:
            for key, load in contenders.items():
                if options.warmup > 0:
                    run_wrk(load, connections, options.warmup, options.wrk_threads)
                result = run_wrk(load, connections, options.duration, options.wrk_threads)
                runs[key][connections].append(result)
                print(
                    f"  round {round_no} c={connections:<3} {key:<28} {result.requests_per_s:>9,.0f} req/s"
                    f"  p50 {result.p50_ms:.3f} ms  p99 {result.p99_ms:.3f} ms",
                    flush=True,
                )
    return {k: {c: median_load(rs) for c, rs in per_c.items()} for k, per_c in runs.items()}
