"""How far bf16 moves a ranking, beside how far another draw of its images does.

For each task and layer of a trained network of a finished default run, the top `fraction` of
units the fast engine ranks in float32 (image seed 0) is compared with the ranking in bf16 (CPU
autocast, which rounds as CUDA's does; funcspec.gpu.bf16) and with a float32 ranking on other
images (seed 1): the share of the float32 ranking's units each also chose. The settings are the
config's `relevance` block. docs/methods.md ("Number formats on the GPU") quotes its output.

    python benchmarks/ranking_precision.py [--results results] [--network dual_s1]
        [--layers conv2 conv4 conv6 fc5 fc6] [--config config/config.yaml]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from funcspec.config import load_yaml
from funcspec.data import centre_crop, normalise, to_input
from funcspec.gpu import bf16
from funcspec.relevance import image_sampler, rank_fast
from funcspec.tasks import task_groups
from funcspec.train import load_network

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(ROOT / "results"))
    parser.add_argument("--network", default="dual_s1")
    parser.add_argument("--layers", nargs="+", default=["conv2", "conv4", "conv6", "fc5", "fc6"])
    parser.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    config = load_yaml(args.config)
    rel = config["relevance"]
    tasks = config["networks"][args.network.rsplit("_s", 1)[0]]["tasks"]
    results = Path(args.results)
    data = {task: results / "prepare" / task for task in tasks}
    model_path = results / "train" / args.network / "model.pt"
    model, saved, pooled, device = load_network(model_path, data, "train", args.threads)
    groups = task_groups(saved, None)

    def ranking(task, layer, seed):
        pool = np.flatnonzero(np.isin(pooled.labels, groups[task]))
        draw = image_sampler(pool, rel["images"], seed, rel["fresh_images"])

        def images(step):
            idx = draw(step)
            x = normalise(centre_crop(to_input(pooled.images(idx), device), model.input_size))
            return x, torch.from_numpy(pooled.labels[idx])

        settings = (rel["fraction"], rel["group_fraction"], rel["max_steps"])
        return set(rank_fast(model, layer, images, *settings)["order"])

    print(f"{args.network}: share of the float32 ranking's units also chosen")
    print(f"{'task':<10}{'layer':<7}{'units':>6}{'bf16':>7}{'other images':>14}")
    for task in tasks:
        for layer in args.layers:
            reference = ranking(task, layer, 0)
            with bf16("cpu"):
                low = ranking(task, layer, 0)
            other = ranking(task, layer, 1)
            n = len(reference)
            print(
                f"{task:<10}{layer:<7}{n:>6}{len(reference & low) / n:>7.2f}"
                f"{len(reference & other) / n:>14.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
