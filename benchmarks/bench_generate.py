"""Time generating the default synthetic datasets against a 60 s budget on 2 cores.

    PYTHONPATH=src python benchmarks/bench_generate.py [--size 32] [--workers 2] [--scale 1.0]

Writes into a temporary directory that is removed afterwards. --scale shrinks the class
counts for a quick look (the per-1000-image rates stay comparable). Besides wall time it
prints the CPU time the generating processes used, which is what to read when other jobs
share the machine: CPU seconds / 2 is the wall time on two free cores.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from funcspec import generate

DEFAULTS = {"faces": (120, 70), "objects": (70, 140), "cars": (60, 70), "food": (60, 70)}
BUDGET_S = 60.0


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the default class counts"
    )
    parser.add_argument("--dir", default=None, help="where to write (default: the system temp dir)")
    args = parser.parse_args()

    total_s, total_cpu, total_images = 0.0, 0.0, 0
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for domain, (classes, per_class) in DEFAULTS.items():
            n_classes = max(args.workers, round(classes * args.scale))
            start, start_cpu = time.perf_counter(), _cpu_seconds()
            generate.generate(
                domain,
                Path(tmp) / domain,
                n_classes,
                per_class,
                args.size,
                seed=0,
                workers=args.workers,
                progress=False,
            )
            seconds, cpu = time.perf_counter() - start, _cpu_seconds() - start_cpu
            images = n_classes * per_class
            total_s += seconds
            total_cpu += cpu
            total_images += images
            print(
                f"{domain:8s} {images:6d} images  wall {seconds:6.1f} s "
                f"({seconds / images * 1000:5.2f} s per 1000, {args.workers} workers)  "
                f"cpu {cpu:6.1f} s ({cpu / images * 1000:5.2f} s per 1000)"
            )
    budget = BUDGET_S * args.scale
    print(
        f"total    {total_images:6d} images  wall {total_s:6.1f} s  cpu {total_cpu:6.1f} s  "
        f"budget {budget:.0f} s"
    )
    print(
        f"ratio wall / budget {total_s / budget:.2f};  ratio (cpu / 2 cores) / budget "
        f"{total_cpu / 2 / budget:.2f}  (< 1 is within budget)"
    )


if __name__ == "__main__":
    main()
