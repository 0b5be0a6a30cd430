"""Time the fast ranking engine against the naive reference on the default config's dual net.

Both engines rank every layer on the same images and must agree (funcspec.relevance.disagreement);
the table gives seconds per layer and the reference/fast ratio (goal: at least 5x in total on CPU).

    .venv/bin/python benchmarks/bench_relevance.py [--max-steps 2] [--images 500] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from funcspec import models
from funcspec.config import load_yaml
from funcspec.data import centre_crop, normalise, to_input
from funcspec.relevance import disagreement, rank_fast, rank_reference
from funcspec.shards import open_split
from funcspec.train import load_model

ROOT = Path(__file__).resolve().parents[1]


def dual_net(config: dict, seed: int):
    spec = config["networks"]["dual"]
    arch = config["archs"][spec["arch"]]
    classes = sum(config["datasets"][t]["classes"]["count"] for t in spec["tasks"])
    path = ROOT / "results/train/dual/model.pt"
    if path.exists():
        model, saved = load_model(path)
        same = (
            saved["num_classes"] == classes
            and saved["input_size"] == arch["input_size"]
            and [saved["arch"][k] for k in ("stages", "fc")] == [arch["stages"], arch["fc"]]
        )
        if same:
            return model, f"trained, {path.relative_to(ROOT)}"
        print(
            f"{path.relative_to(ROOT)} is not the default config's dual net (another config's run)"
        )
    torch.manual_seed(seed)
    model = models.build(arch, classes, arch["input_size"]).eval()
    # The paper's init gives near-zero logits, so candidates' losses differ by ~1e-6, within the
    # engines' tolerance, and the equality check would pass on ties; He-scaled weights and
    # non-zero biases make the losses distinct. Timing does not depend on the weights.
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, (2 / p[0].numel()) ** 0.5 if p.dim() > 1 else 0.1)
    return model, f"untrained (no trained default dual net), He-scaled random weights, seed {seed}"


def face_images(n: int, size: int, classes: int, seed: int):
    """n training face images if prepared at the net's size or larger, else random tensors."""
    rng = np.random.default_rng(seed)
    prepared = ROOT / "results/prepare/faces"
    if prepared.exists():
        split = open_split(prepared, "train")
        if split.images([0]).shape[1] >= size:
            idx = np.sort(rng.choice(len(split), min(n, len(split)), replace=False))
            x = normalise(centre_crop(to_input(split.images(idx), "cpu"), size))
            return x, torch.from_numpy(split.labels[idx]).long(), f"{len(idx)} prepared face images"
        print(
            f"{prepared.relative_to(ROOT)} holds images smaller than {size} px "
            "(another config's run)"
        )
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(n, 3, size, size, generator=g),
        torch.randint(0, classes, (n,), generator=g),
        f"{n} random images",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=2)
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--layers", nargs="*", help="default: every layer below the class layer")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--candidate-batch", type=int, default=None)
    parser.add_argument("--config", default=str(ROOT / "config/config.yaml"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--channels-last",
        action="store_true",
        help="feed both engines channels-last images (faster convolutions on CPU)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    config = load_yaml(args.config)
    model, model_source = dual_net(config, args.seed)
    faces = config["datasets"]["faces"]["classes"]["count"]  # the first task: labels from 0
    x, y, image_source = face_images(args.images, model.input_size, faces, args.seed)
    if args.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    layers = args.layers or model.layer_names[:-1]
    print(
        f"model: {model_source}; images: {image_source}"
        f"{' (channels last)' if args.channels_last else ''}; max steps {args.max_steps}; "
        f"{args.threads} thread(s); torch {torch.__version__}"
    )

    def images(step):
        return x, y

    kwargs = dict(max_steps=args.max_steps, batch_size=args.batch_size)
    with torch.no_grad():
        model(x[: args.batch_size])  # warm-up: first-call allocations are not the engines' cost

    print(
        f"{'layer':8} {'N':>5} {'k':>3} {'steps':>5} {'reference s':>12} {'fast s':>8} {'ratio':>7}"
    )
    total_ref = total_fast = 0.0
    for layer in layers:
        start = time.perf_counter()
        ref = rank_reference(model, layer, images, **kwargs)
        t_ref = time.perf_counter() - start
        start = time.perf_counter()
        fast = rank_fast(model, layer, images, candidate_batch=args.candidate_batch, **kwargs)
        t_fast = time.perf_counter() - start
        problem = disagreement(ref, fast)
        if problem:
            sys.exit(f"rankings differ: {problem}")
        total_ref, total_fast = total_ref + t_ref, total_fast + t_fast
        print(
            f"{layer:8} {ref['n_units']:5d} {ref['group_size']:3d} {len(ref['steps']):5d} "
            f"{t_ref:12.2f} {t_fast:8.2f} {t_ref / t_fast:6.1f}x",
            flush=True,
        )
    print(f"{'total':24} {total_ref:12.2f} {total_fast:8.2f} {total_ref / total_fast:6.1f}x")
    print("rankings equal (within funcspec.relevance.LOSS_TOLERANCE) for every layer")


if __name__ == "__main__":
    main()
