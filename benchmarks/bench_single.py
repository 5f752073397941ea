"""Single-case latency through the Python API (run by hand).

    .venv/bin/python benchmarks/bench_single.py                 # examples/cases/*.json
    .venv/bin/python benchmarks/bench_single.py --generated 200 # synthetic cases instead
    .venv/bin/python benchmarks/bench_single.py --profile assess

Times ``livermets.assessment.build.assess(case)`` (the full assessment: every step, then the
words, reasons and evidence) and ``livermets.assessment.pipeline.evaluate_case(case)`` (every
step's value only) on already-validated cases; parsing is timed separately. Each case runs
``--repeat`` times after a warm-up; p50 and p99 are over all calls. Target: p99 under 5 ms.
``--profile`` prints where the time goes (cProfile, cumulative). Python's cyclic garbage
collector runs during the timed calls as it would in a server; its full (generation-2)
collections are counted and their longest pause shown, and ``--gc freeze`` (``gc.freeze()``
after start-up, as a server could do) or ``--gc off`` show the latency without them.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def latencies(fn: Callable[[Any], Any], cases: Sequence[Any], repeat: int) -> list[float]:
    for case in cases:  # warm-up: caches, compiled rules, imports
        fn(case)
    out: list[float] = []
    clock = time.perf_counter
    for _ in range(repeat):
        for case in cases:
            start = clock()
            fn(case)
            out.append(clock() - start)
    return sorted(out)


class GcPauses:
    """Counts garbage-collector runs by generation and their longest pause."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.longest = [0.0, 0.0, 0.0]
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            return
        generation = info["generation"]
        self.count[generation] += 1
        self.longest[generation] = max(self.longest[generation], time.perf_counter() - self._start)

    def reset(self) -> None:
        self.count, self.longest = [0, 0, 0], [0.0, 0.0, 0.0]

    def summary(self) -> str:
        return ", ".join(
            f"gen{g} x{self.count[g]} (longest {self.longest[g] * 1000:.1f} ms)" for g in range(3)
        )


def report(name: str, values: Sequence[float]) -> None:
    ms = [v * 1000 for v in values]
    print(
        f"{name:14s} n={len(ms):6d}  p50 {percentile(ms, 0.50):7.3f} ms  "
        f"p90 {percentile(ms, 0.90):7.3f} ms  p99 {percentile(ms, 0.99):7.3f} ms  "
        f"max {ms[-1]:7.3f} ms  mean {statistics.fmean(ms):7.3f} ms"
    )


def load_cases(generated: int, seed: int) -> tuple[str, list[Any], list[str]]:
    from livermets.importers.case_text import case_from_data, parse_case

    if not generated:
        files = sorted((ROOT / "examples" / "cases").glob("*.json"))
        if files:
            texts = [f.read_text(encoding="utf-8") for f in files]
            start = time.perf_counter()
            cases = [parse_case(text, source=str(f)) for text, f in zip(texts, files, strict=True)]
            per = (time.perf_counter() - start) / len(cases) * 1000
            return f"{len(cases)} example cases (parse + validate {per:.3f} ms each)", cases, texts
    from livermets.synthetic import generate_documents

    documents = generate_documents(generated or 200, seed)
    texts = [json.dumps(doc) for doc in documents]
    start = time.perf_counter()
    cases = [case_from_data(doc) for doc in documents]
    per = (time.perf_counter() - start) / len(cases) * 1000
    return f"{len(cases)} generated cases (validate {per:.3f} ms each)", cases, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--generated",
        type=int,
        default=0,
        help="use this many generated cases instead of the examples",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each case")
    parser.add_argument(
        "--profile",
        choices=["assess", "evaluate"],
        default=None,
        help="profile one API with cProfile instead of timing",
    )
    parser.add_argument(
        "--gc",
        choices=["default", "freeze", "off"],
        default="default",
        help="garbage collector during the timed calls",
    )
    args = parser.parse_args()

    from livermets.assessment.build import assess
    from livermets.assessment.pipeline import evaluate_case, steps

    start = time.perf_counter()
    steps()
    print(f"steps: {len(steps())} (first call builds them: {time.perf_counter() - start:.2f} s)")
    label, cases, _ = load_cases(args.generated, args.seed)
    print(label)
    apis: dict[str, Callable[[Any], Any]] = {"assess": assess, "evaluate": evaluate_case}
    if args.profile:
        fn = apis[args.profile]
        for case in cases:
            fn(case)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeat):
            for case in cases:
                fn(case)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        return
    if args.gc == "freeze":
        gc.collect()
        gc.freeze()
    elif args.gc == "off":
        gc.disable()
    pauses = GcPauses()
    for name, fn in (("evaluate_case", evaluate_case), ("assess", assess)):
        pauses.reset()
        report(name, latencies(fn, cases, args.repeat))
        print(f"{'':14s} garbage collector ({args.gc}): {pauses.summary()}")


if __name__ == "__main__":
    main()
