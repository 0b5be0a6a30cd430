"""What the rehearsal measured: each rule's peak memory against the plan's, and the CPU rates.

    python benchmarks/rehearsal_report.py RUN --configfile config/paper.yaml config/rehearsal.yaml
        [--out rates.json]

RUN is the rehearsal's clone (benchmarks/rehearsal.sh). Prints, per rule, the largest peak memory
of its jobs (their Snakemake benchmark files), the peak `funcspec plan` predicts for one job of
that rule on the same config, and what the SLURM profile requests for it at paper scale. Then
measures, on one core, the two rates the paper plan takes from here:
- prepare: seconds per image to decode a fabricated JPEG of the published sizes, crop and resize
  it to the config's prepared size (funcspec.prepare.load_image, what every prepare worker runs);
- loader: images per second the memory-mapped shard loader delivers at the network's input size,
  augmented as training augments (random crop, greyscale), from the prepared faces.
--out saves them as {"rates": {...}} for `funcspec plan --measured`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from bench_loader import pipeline_batches
from rule_times import rule_times

from funcspec.datasets import IMAGE_EXTENSIONS
from funcspec.plan import REPO, load, plan, slurm_resources
from funcspec.prepare import load_image


def memory_rows(run: Path, config: dict) -> list[tuple]:
    """(rule, jobs, measured MB, plan's MB or None, SLURM MB or None) per rule that ran."""
    predicted = {
        r["phase"]: r["peak_memory_gb"] * 1000
        for r in plan(config, {"train": 1.0, "infer": 1.0}, 1)["phases"]
        if r["peak_memory_gb"]
    }
    requested = {r["rule"]: r["mem_mb"] for r in slurm_resources(REPO / "slurm" / "config.yaml")}
    return [
        (rule, t["jobs"], t["max_rss"], predicted.get(rule), requested.get(rule))
        for rule, t in sorted(rule_times(run).items(), key=lambda kv: -kv[1]["max_rss"])
    ]


def prepare_seconds(trees: Path, config: dict, images: int = 400) -> float:
    """Seconds per image of decoding, cropping and resizing, over every tree's JPEGs in turn."""
    paths = sorted(p for p in trees.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    paths = paths[:: max(1, len(paths) // images)]
    image = config["datasets"]["faces"]["image"]
    began = time.perf_counter()
    for path in paths:
        pixels, _, error = load_image((path, None, image["resize"], image["crop"]))
        assert error is None, f"{path}: {error}"
    return (time.perf_counter() - began) / len(paths)


def loader_rate(prepared: Path, size: int, batches: int = 30, batch_size: int = 8) -> float:
    """Images per second of shard reading, augmentation and scaling, after one warm-up batch."""
    it = pipeline_batches(prepared, batch_size, size)
    next(it)
    began = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches * batch_size / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--configfile", nargs="+", required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    config = load(*(args.run / c for c in args.configfile))
    torch.set_num_threads(1)

    print(f"\n{'rule':<14}{'jobs':>5}{'peak MB':>10}{'plan MB':>10}{'SLURM MB':>10}  (paper scale)")
    for rule, jobs, measured, predicted, requested in memory_rows(args.run, config):
        plan_mb = f"{predicted:,.0f}" if predicted else "-"
        print(f"{rule:<14}{jobs:>5}{measured:>10,.0f}{plan_mb:>10}{requested or '-':>10}")

    size = config["archs"][config["networks"]["dual"]["arch"]]["input_size"]
    rates = {
        "prepare_jpeg": prepare_seconds(args.run / "rehearsal", config),
        "loader": loader_rate(args.run / "results" / "prepare" / "faces", size),
    }
    print(
        f"\nprepare: {rates['prepare_jpeg'] * 1000:.1f} ms per JPEG on one core (decode, crop, "
        f"resize to {config['datasets']['faces']['image']['crop']} px)\n"
        f"loader: {rates['loader']:.0f} images/s on one core at {size} px with augmentation"
    )
    if args.out:
        args.out.write_text(json.dumps({"rates": rates}, indent=1) + "\n")
        print(f"saved {args.out}: funcspec plan --measured {args.out}")


if __name__ == "__main__":
    main()
