"""Time the ranking engines on the other architectures (config/architectures.yaml's AlexNet- and
ResNet-style nets): the reference engine (a full forward pass per candidate) against the fast
one (the traced graph cut at the lesion point, lesioned copies stacked) and the pruned one, on
the same images, in three layers of each (first, middle, last hidden). Fast must agree with
reference (funcspec.relevance.disagreement). Columns: seconds per layer, reference/fast,
fast/pruned, and old/fast: the fast engine with its chunk of stacked copies sized by the lesion
point's output alone (as before 2026-12-07) against sized by all it runs above. Networks at
initialisation (a trained one ranks in the same time).

    .venv/bin/python benchmarks/bench_families.py [--images 250] [--max-steps 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from funcspec import models
from funcspec.config import load_yaml
from funcspec.relevance import (
    chunk_elements,
    disagreement,
    rank_fast,
    rank_pruned,
    rank_reference,
)

ROOT = Path(__file__).resolve().parents[1]
CLASSES = 150  # the default dual net's faces and objects


def timed(rank, *args, **kwargs):
    start = time.perf_counter()
    result = rank(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=250)
    p.add_argument("--max-steps", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    archs = load_yaml(ROOT / "config" / "architectures.yaml")["archs"]
    g = torch.Generator().manual_seed(0)
    print(
        f"{'arch':<14} {'layer':<10} {'reference s':>11} {'fast s':>8} {'pruned s':>8} "
        f"{'ref/fast':>8} {'fast/pruned':>11} {'old/fast':>8}"
    )
    totals = [0.0, 0.0, 0.0, 0.0]
    for name, arch in archs.items():
        size = arch["input_size"]
        torch.manual_seed(0)
        model = models.build(arch, CLASSES, size).eval()
        x = torch.randn(args.images, 3, size, size, generator=g)
        y = torch.randint(0, CLASSES, (args.images,), generator=g)
        images = lambda _step, x=x, y=y: (x, y)  # noqa: E731 - the same images every step
        layers = model.layer_names[:-1]
        for layer in dict.fromkeys([layers[0], layers[len(layers) // 2], layers[-1]]):
            kwargs = dict(max_steps=args.max_steps, batch_size=128)
            ref, t_ref = timed(rank_reference, model, layer, images, **kwargs)
            fast, t_fast = timed(rank_fast, model, layer, images, **kwargs)
            with torch.no_grad():
                state = model.below(x[: kwargs["batch_size"]], layer)
                a = model.through(state, layer)
            old_chunk = max(1, chunk_elements(x.device) // a.numel())
            _, t_old = timed(rank_fast, model, layer, images, candidate_batch=old_chunk, **kwargs)
            _, t_pruned = timed(
                rank_pruned,
                model,
                layer,
                images,
                candidates="4 groups, at least 16",
                **kwargs,
            )
            problem = disagreement(ref, fast)
            if problem:
                raise SystemExit(f"{name} {layer}: fast disagrees with reference: {problem}")
            totals = [a + b for a, b in zip(totals, (t_ref, t_fast, t_pruned, t_old))]
            print(
                f"{name:<14} {layer:<10} {t_ref:>11.2f} {t_fast:>8.2f} {t_pruned:>8.2f} "
                f"{t_ref / t_fast:>8.2f} {t_fast / t_pruned:>11.2f} {t_old / t_fast:>8.2f}"
            )
    t_ref, t_fast, t_pruned, t_old = totals
    print(
        f"{'total':<25} {t_ref:>11.2f} {t_fast:>8.2f} {t_pruned:>8.2f} "
        f"{t_ref / t_fast:>8.2f} {t_fast / t_pruned:>11.2f} {t_old / t_fast:>8.2f}"
    )


if __name__ == "__main__":
    main()
