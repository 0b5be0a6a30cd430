"""Training throughput: the pipeline's shard loader + model step against torchvision's
ImageFolder + DataLoader over the same images (the generated PNGs the shards were made from).

Both feed the same model the same kind of batch (random crop, random greyscale p=0.2, scaled to
[-1, 1]) and take the same optimiser steps; only the data path differs. Prints images/s of each
and their ratio. Needs a default run's data (`snakemake --cores all results/prepare/faces`).

    python benchmarks/bench_loader.py [--dataset faces] [--steps 60] [--threads 1] [--workers 1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torchvision
from torchvision import transforms

from funcspec import models
from funcspec.config import load_yaml
from funcspec.data import Pooled, augment, normalise, open_tasks, to_input


def step(model, optimizer, x, y):
    loss = torch.nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def time_steps(batches, model, optimizer, steps: int, batch_size: int) -> float:
    """Images per second over `steps` steps, after two warm-up steps."""
    it = iter(batches)
    for _ in range(2):
        step(model, optimizer, *next(it))
    began = time.perf_counter()
    for _ in range(steps):
        step(model, optimizer, *next(it))
    return steps * batch_size / (time.perf_counter() - began)


def pipeline_batches(prepared: Path, batch_size: int, size: int):
    pooled = Pooled(open_tasks({"task": prepared}, "train"))
    rng, generator = np.random.default_rng(0), torch.Generator().manual_seed(0)
    while True:
        for idx in np.array_split(rng.permutation(len(pooled)), len(pooled) // batch_size):
            idx = idx[:batch_size]
            x = normalise(augment(to_input(pooled.images(idx), "cpu"), size, 0.2, generator))
            yield x, torch.from_numpy(pooled.labels[idx])


def imagefolder_batches(raw: Path, batch_size: int, size: int, workers: int):
    dataset = torchvision.datasets.ImageFolder(
        raw,
        transform=transforms.Compose(
            [
                transforms.RandomCrop(size),
                transforms.RandomGrayscale(0.2),
                transforms.ToTensor(),
                transforms.Normalize([0.5] * 3, [0.5] * 3),
            ]
        ),
    )
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        drop_last=True,
        persistent_workers=workers > 0,
    )
    while True:
        yield from loader


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="faces")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the model step")
    parser.add_argument("--workers", type=int, default=1, help="DataLoader worker processes")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    config = load_yaml("config/config.yaml")
    arch = config["archs"]["vgg_wide"]
    batch_size = config["train"]["batch_size"]
    prepared, raw = Path("results/prepare") / args.dataset, Path("results/generate") / args.dataset
    # The raw folders also hold the held-out classes: size the class layer for all of them.
    n_classes = sum(1 for p in raw.iterdir() if p.is_dir())
    print(
        f"{args.dataset}: {n_classes} classes, batch {batch_size}, {args.steps} steps, "
        f"{args.threads} torch thread(s), {args.workers} DataLoader worker(s)"
    )

    rates = {}
    for name, batches in (
        ("pipeline shards", pipeline_batches(prepared, batch_size, arch["input_size"])),
        (
            "ImageFolder + DataLoader",
            imagefolder_batches(raw, batch_size, arch["input_size"], args.workers),
        ),
    ):
        torch.manual_seed(0)
        model = models.build(arch, n_classes, arch["input_size"])
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        rates[name] = time_steps(batches, model, optimizer, args.steps, batch_size)
        print(f"{name:26s} {rates[name]:8.1f} images/s")
    print(
        "ratio (pipeline / ImageFolder): "
        f"{rates['pipeline shards'] / rates['ImageFolder + DataLoader']:.2f}x"
    )


if __name__ == "__main__":
    main()
