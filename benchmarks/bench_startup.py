"""Time the start of a job: a fresh Python importing the step it runs, as every one of a run's
hundreds of short jobs does. Against a baseline in the same run: the same start with
torchvision.models imported first, as funcspec.families did until 2026-12-07 (it imports
torch._dynamo). The ratio is the baseline's time over now's; the median of `--repeats` starts.

    .venv/bin/python benchmarks/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

STEPS = ("relevance", "lesion", "train")


def started(code: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("step        now (s)  before (s)  before/now")
    for step in STEPS:
        now = started(f"import funcspec.{step}", args.repeats)
        before = started(f"import torchvision.models, funcspec.{step}", args.repeats)
        print(f"{step:10s} {now:8.2f} {before:11.2f} {before / now:11.2f}")


if __name__ == "__main__":
    main()
