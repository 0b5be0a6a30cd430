"""Cost of a job's provenance record when its inputs are large prepared shards.

    python benchmarks/bench_provenance.py [--shards 8] [--shard-mb 128] [--repeats 3]

A `prepare` record is written for a folder of shards; then a consumer's record (a relevance job,
say) is written twice: re-reading every input byte (baseline), and taking the hash of each
shard from the producer's record while the shard's size and mtime are unchanged (what
funcspec does). Prints both times and their ratio. Writes into a temporary directory; the
page cache is warm in both cases, so on a cluster file system the gap is wider.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from funcspec import provenance


def _best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--shard-mb", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        shards = Path("results/prepare/faces")
        shards.mkdir(parents=True)
        for i in range(args.shards):
            (shards / f"train-{i:03d}.npy").write_bytes(os.urandom(args.shard_mb << 20))
        provenance.write_record(
            rule="prepare",
            command="-",
            parameters={},
            inputs=[],
            outputs=[shards],
            started=provenance.now(),
        )

        def record(trust: bool):
            known = provenance.recorded_files([shards]) if trust else None
            return provenance.hash_path(shards, known)

        assert record(True) == record(False)
        reread = _best_of(args.repeats, lambda: record(False))
        trusted = _best_of(args.repeats, lambda: record(True))
        size = args.shards * args.shard_mb
        print(f"inputs: {args.shards} shards, {size} MB")
        print(f"re-read every byte:        {reread * 1e3:9.1f} ms")
        print(f"producer's record (stat):  {trusted * 1e3:9.1f} ms")
        print(f"speed-up: {reread / trusted:.0f}x")


if __name__ == "__main__":
    main()
