"""Time the ranking engines, reference, fast and pruned, on the default config's dual net.

All three rank every layer on the same images. Reference and fast must agree
(funcspec.relevance.disagreement); so must pruned, byte for byte but for its engine fields, in
a layer where its M covers every unit. Elsewhere the pruned engine is not exact, and the table
gives the share of the fast ranking's units it chose too. Columns: seconds per layer and the
ratios reference/fast and fast/pruned (goal: at least 5x for reference/fast in total on CPU).
The last columns time the default's rule before it moved to the pruned engine (the fast engine
capped at `--capped` steps, 3) and the pruned engine's ratio to it: the cost of ranking with
`--max-steps` instead (goal, with `--max-steps none`: at most 1x).

    .venv/bin/python benchmarks/bench_relevance.py [--max-steps 2|none] [--images 500]
        [--candidates '4 groups'] [--threads 1] [--results results] [--skip-reference]
        [--capped 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from funcspec import models
from funcspec.config import load_yaml
from funcspec.data import centre_crop, normalise, to_input
from funcspec.grouping import parse_candidates
from funcspec.relevance import disagreement, rank_fast, rank_pruned, rank_reference
from funcspec.shards import open_split
from funcspec.train import load_model

ROOT = Path(__file__).resolve().parents[1]


# Fields in which a pruned ranking may differ from the fast one it equals.
ENGINE_FIELDS = ("method", "candidates", "shortlist")


def dual_net(config: dict, seed: int, results: Path):
    spec = config["networks"]["dual"]
    arch = config["archs"][spec["arch"]]
    classes = sum(config["datasets"][t]["classes"]["count"] for t in spec["tasks"])
    path = results / "train" / "dual_s1" / "model.pt"
    if path.exists():
        model, saved = load_model(path)
        same = (
            saved["num_classes"] == classes
            and saved["input_size"] == arch["input_size"]
            and [saved["arch"][k] for k in ("stages", "fc")] == [arch["stages"], arch["fc"]]
        )
        if same:
            return model, f"trained, {path}"
        print(f"{path} is not the default config's dual net (another config's run)")
    torch.manual_seed(seed)
    model = models.build(arch, classes, arch["input_size"]).eval()
    # The paper's init gives near-zero logits, so candidates' losses differ by ~1e-6, within the
    # engines' tolerance, and the equality check would pass on ties; He-scaled weights and
    # non-zero biases make the losses distinct. Timing does not depend on the weights.
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, (2 / p[0].numel()) ** 0.5 if p.dim() > 1 else 0.1)
    return model, f"untrained (no trained default dual net), He-scaled random weights, seed {seed}"


def face_images(n: int, size: int, classes: int, seed: int, results: Path):
    """n training face images if prepared at the net's size or larger, else random tensors."""
    rng = np.random.default_rng(seed)
    prepared = results / "prepare" / "faces"
    if prepared.exists():
        split = open_split(prepared, "train")
        if split.images([0]).shape[1] >= size:
            idx = np.sort(rng.choice(len(split), min(n, len(split)), replace=False))
            x = normalise(centre_crop(to_input(split.images(idx), "cpu"), size))
            return x, torch.from_numpy(split.labels[idx]).long(), f"{len(idx)} prepared face images"
        print(f"{prepared} holds images smaller than {size} px (another config's run)")
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(n, 3, size, size, generator=g),
        torch.randint(0, classes, (n,), generator=g),
        f"{n} random images",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-steps",
        type=lambda text: None if text == "none" else int(text),
        default=2,
        help="cap on greedy steps; none: the paper's rule",
    )
    parser.add_argument(
        "--candidates",
        type=parse_candidates,
        default="4 groups",
        help="the pruned engine's M: units or '<k> groups'",
    )
    parser.add_argument("--results", default=str(ROOT / "results"), help="a default run's")
    parser.add_argument(
        "--capped", type=int, default=3, help="steps of the capped rule the pruned is timed against"
    )
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--layers", nargs="*", help="default: every layer below the class layer")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--candidate-batch", type=int, default=None)
    parser.add_argument("--config", default=str(ROOT / "config/config.yaml"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--skip-reference", action="store_true", help="the paper's rule makes it slow"
    )
    parser.add_argument(
        "--channels-last",
        action="store_true",
        help="feed both engines channels-last images (faster convolutions on CPU)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    config = load_yaml(args.config)
    results = Path(args.results)
    model, model_source = dual_net(config, args.seed, results)
    faces = config["datasets"]["faces"]["classes"]["count"]  # the first task: labels from 0
    x, y, image_source = face_images(args.images, model.input_size, faces, args.seed, results)
    if args.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    layers = args.layers or model.layer_names[:-1]
    print(
        f"model: {model_source}; images: {image_source}"
        f"{' (channels last)' if args.channels_last else ''}; max steps {args.max_steps}; "
        f"pruned M {args.candidates}; "
        f"{args.threads} thread(s); torch {torch.__version__}"
    )

    def images(step):
        return x, y

    kwargs = dict(max_steps=args.max_steps, batch_size=args.batch_size)
    capped = args.capped
    with torch.no_grad():
        model(x[: args.batch_size])  # warm-up: first-call allocations are not the engines' cost

    print(
        f"{'layer':8} {'N':>5} {'k':>3} {'M':>4} {'steps':>5} {'reference s':>12} {'fast s':>8} "
        f"{'pruned s':>9} {'ref/fast':>9} {'fast/pruned':>12} {'same units':>11} "
        f"{f'capped {capped} s':>11} {'pruned/capped':>14}"
    )
    total = dict.fromkeys(["reference", "fast", "pruned", "capped"], 0.0)
    for layer in layers:
        ranked, seconds = {}, {}
        batched = {"candidate_batch": args.candidate_batch}
        runs = [
            ("fast", rank_fast, batched),
            ("pruned", rank_pruned, {**batched, "candidates": args.candidates}),
            ("capped", rank_fast, {**batched, "max_steps": capped}),
        ]
        if not args.skip_reference:
            runs.insert(0, ("reference", rank_reference, {}))
        for name, rank, options in runs:
            start = time.perf_counter()
            ranked[name] = rank(model, layer, images, **({**kwargs, **options}))
            seconds[name] = time.perf_counter() - start
            total[name] += seconds[name]
        fast, pruned = ranked["fast"], ranked["pruned"]
        check_agreement(ranked.get("reference"), fast, pruned)
        same = len(set(pruned["order"]) & set(fast["order"])) / len(fast["order"])
        print(
            f"{layer:8} {fast['n_units']:5d} {fast['group_size']:3d} {pruned['shortlist']:4d} "
            f"{len(fast['steps']):5d} {_row(seconds, same)}",
            flush=True,
        )
    print(f"{'total':30} {_row(total)}")
    print(
        (
            ""
            if args.skip_reference
            else "reference and fast equal (within "
            "funcspec.relevance.LOSS_TOLERANCE) for every layer; "
        )
        + "pruned equal to fast wherever its M covers every unit"
    )


def _row(seconds: dict, same: float | None = None) -> str:
    """A row's seconds and ratios; '-' for the reference where it was skipped."""
    ref = seconds.get("reference")
    reference = (
        f"{ref:12.2f}" if ref else f"{'-':>12}",
        f"{ref / seconds['fast']:8.1f}x" if ref else f"{'-':>9}",
    )
    return (
        f"{reference[0]} {seconds['fast']:8.2f} {seconds['pruned']:9.2f} {reference[1]} "
        f"{seconds['fast'] / seconds['pruned']:11.1f}x "
        f"{'' if same is None else f'{same:.2f}':>11} {seconds['capped']:11.2f} "
        f"{seconds['pruned'] / seconds['capped']:13.2f}x"
    )


def check_agreement(ref: dict | None, fast: dict, pruned: dict) -> None:
    """Exit unless reference (when run) and fast agree, and pruned is fast where its M covers
    every unit (the same JSON but for its engine fields)."""
    problem = ref and disagreement(ref, fast)
    if problem:
        sys.exit(f"reference and fast rankings differ: {problem}")
    if pruned["shortlist"] >= pruned["n_units"]:

        def exact(result):
            return json.dumps({k: v for k, v in result.items() if k not in ENGINE_FIELDS})

        if exact(pruned) != exact(fast):
            sys.exit(f"{fast['layer']}: pruned with M = every unit is not the fast ranking")


if __name__ == "__main__":
    main()
