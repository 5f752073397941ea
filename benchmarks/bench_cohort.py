"""Cohort benchmark: generate a synthetic cohort, then assess every case (run by hand).

    .venv/bin/python benchmarks/bench_cohort.py            # 1,000,000 cases
    .venv/bin/python benchmarks/bench_cohort.py -n 200000 --seed 7 --repeat 3
    .venv/bin/python benchmarks/bench_cohort.py --pool 20000   # more distinct patients

Generation is timed separately from assessment: ``livermets.synthetic.generate_cohort`` builds
a pool of distinct generated case documents (validated, then flattened by ``features.flatten``)
and draws the cohort's rows from it. The assessment keeps every step column
(every derived feature, score, criterion, option status and guidance column); booleans keep
their nulls. Targets (2 cores): assessment under 10 s, peak RSS under 8 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections import Counter


def peak_rss_gb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024**3 if sys.platform == "darwin" else 1024**2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="number of cases")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pool", type=int, default=None, help="distinct generated cases (default POOL_SIZE)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="assessment runs (best is shown)")
    parser.add_argument(
        "--streaming", action="store_true", help="collect with the streaming engine"
    )
    args = parser.parse_args()

    import polars as pl

    from livermets.assessment.pipeline import steps
    from livermets.cohort.engine import evaluate_cohort
    from livermets.synthetic import POOL_SIZE, generate_cohort

    ordered = steps()
    kinds = Counter(s.kind for s in ordered)
    print(f"polars {pl.__version__}, {pl.thread_pool_size()} threads, {os.cpu_count()} CPUs")
    print(f"steps: {len(ordered)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")

    wall, cpu = time.perf_counter(), time.process_time()
    pool = POOL_SIZE if args.pool is None else args.pool
    cases, children = generate_cohort(args.n, args.seed, pool=pool)
    gen_wall, gen_cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = {table: frame.height for table, frame in children.items()}
    print(
        f"generate: {args.n:,} cases from a pool of {min(pool, args.n):,} in {gen_wall:.2f} s "
        f"(cpu {gen_cpu:.2f} s); child rows " + ", ".join(f"{t} {r:,}" for t, r in rows.items())
    )
    print(f"  peak RSS after generation: {peak_rss_gb():.2f} GB")

    best = float("inf")
    result = None
    for run in range(args.repeat):
        result = None
        wall, cpu = time.perf_counter(), time.process_time()
        plan = evaluate_cohort(cases, children)
        planned = time.perf_counter() - wall
        result = plan.collect(engine="streaming") if args.streaming else plan.collect()
        elapsed, used = time.perf_counter() - wall, time.process_time() - cpu
        best = min(best, elapsed)
        print(
            f"assess run {run + 1}: {elapsed:.2f} s (cpu {used:.2f} s; building the plan "
            f"{planned:.2f} s) -> {args.n / elapsed:,.0f} cases/s"
        )
    assert result is not None
    step_columns = [s.name for s in ordered]
    dtypes = Counter(str(result.schema[name]) for name in step_columns)
    print(
        f"  output {result.height:,} x {result.width} columns; step columns by type: "
        + ", ".join(f"{t} {c}" for t, c in dtypes.most_common())
    )
    print(f"  output size {result.estimated_size() / 1024**3:.2f} GB")
    print(
        f"best assessment: {best:.2f} s, {args.n / best:,.0f} cases/s; "
        f"peak RSS {peak_rss_gb():.2f} GB"
    )


if __name__ == "__main__":
    main()
