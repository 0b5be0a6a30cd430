"""The nested bootstrap of the segregation index (stats.Resamples) against the per-resample Python
loop it replaced (seeds, then images, one resample at a time), on per-image tables of the default's
size: 2 seeds, 1,000 face test images of 100 classes and 1,000 object test images of 50 classes,
9 lesions, 8 layers. Prints resamples per second of each and their ratio.

    .venv/bin/python benchmarks/bench_bootstrap.py [--resamples 10000] [--loop-resamples 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from funcspec.stats import Resamples, segregation_index

LESIONS = ["none", "faces", "objects", "random", "random", "faces", "objects", "random", "random"]


def table(seed: int, rng) -> dict:
    faces, objects = np.repeat(np.arange(100), 10), 100 + np.repeat(np.arange(50), 20)
    labels = np.concatenate([faces, objects])
    member = np.stack([labels < 100, labels >= 100])
    correct = rng.random((len(LESIONS), len(labels))) < np.linspace(0.6, 0.2, len(LESIONS))[:, None]
    return {
        "network": f"dual_s{seed}",
        "layer": "conv1",
        "lesion": np.array(LESIONS),
        "draw": np.array([0, 0, 0, 0, 1, 0, 0, 0, 1]),
        "fraction": np.array([0.0, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]),
        "correct": correct,
        "groups": ["faces", "objects"],
        "member": member,
        "labels": labels,
    }


def loop_bootstrap(seeds, samples: int, rng) -> np.ndarray:
    """The replaced bootstrap: per resample, seeds with replacement, then each drawn seed's
    images with replacement within each task (no class level), the index recomputed."""
    pools = [{t: np.flatnonzero(s["member"][i]) for i, t in enumerate(s["groups"])} for s in seeds]
    out = np.empty(samples)
    for b in range(samples):
        values = []
        for s in rng.integers(len(seeds), size=len(seeds)):
            picks = np.concatenate([rng.choice(p, size=len(p)) for p in pools[s].values()])
            weights = np.bincount(picks, minlength=len(seeds[s]["labels"]))[None, :]
            values.append(segregation_index(seeds[s], "faces", "objects", 0.2, weights)[0])
        out[b] = np.mean(values)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--loop-resamples", type=int, default=300)
    parser.add_argument("--layers", type=int, default=8)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    layers = [[table(seed, rng) for seed in (1, 2)] for _ in range(args.layers)]

    start = time.perf_counter()
    for seeds in layers:
        loop_bootstrap(seeds, args.loop_resamples, np.random.default_rng(1))
    loop = args.loop_resamples * args.layers / (time.perf_counter() - start)

    start = time.perf_counter()
    resamples = Resamples.draw(layers[0][0], 2, args.resamples, np.random.default_rng(1))
    for seeds in layers:
        resamples.apply(seeds, lambda s, w: segregation_index(s, "faces", "objects", 0.2, w))
    nested = args.resamples * args.layers / (time.perf_counter() - start)

    print(f"per-resample loop (seeds, images):       {loop:10.0f} resamples/s per layer")
    print(f"Resamples (seeds, classes, images):       {nested:10.0f} resamples/s per layer")
    print(
        f"ratio: {nested / loop:.1f}x; {args.resamples} resamples x {args.layers} layers in "
        f"{args.resamples * args.layers / nested:.1f} s"
    )


if __name__ == "__main__":
    main()
