"""Lesions: zero the top-ranked units of one layer and measure every task (see tasks.py). The
tables it writes are read by funcspec.tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import arguments, streams
from .ablation import ablated
from .atomic import atomic_path, write_csv
from .data import Pooled, eval_batches
from .errors import FuncspecError
from .gpu import FLOAT32, Precision, autocast
from .tasks import task_groups
from .train import load_network


def lesion(
    model_path,
    data: dict,
    layer: str,
    relevance_paths,
    out,
    images_out,
    *,
    fractions,
    random_draws: int,
    batch_size: int,
    seed: int,
    split_seed: int | None = None,
    threads: int = 1,
    precision: Precision = FLOAT32,
) -> None:
    """The lesion step: every task's test accuracy with the top-ranked units of `layer` (by each
    ranking in `relevance_paths`) zeroed, and with random units of the same number; the table
    goes to `out`, each image's correctness under each lesion and its class to `images_out` (for
    bootstraps over classes and test images, and for performance matching)."""
    model, saved, pooled, device = load_network(model_path, data, "test", threads, precision)
    rankings = {}
    for path in relevance_paths:
        ranking = json.loads(Path(path).read_text())
        if ranking["layer"] != layer:
            raise FuncspecError(f"{path} ranks layer {ranking['layer']}, not {layer}")
        rankings[ranking["task"]] = ranking["order"]
    n_units = model.units(layer)
    lesions = conditions(rankings, n_units, fractions, random_draws, seed)
    groups = task_groups(saved, split_seed, rankings)
    with autocast(device, precision):
        rows, correct, member, _, margin = evaluate_lesions(
            model, layer, pooled, groups, lesions, batch_size, device
        )
    write_csv(
        out, [{"network": saved["network"], "layer": layer, "n_units": n_units, **r} for r in rows]
    )
    consolidated = [t.task for t in pooled.tasks if t.consolidated]
    with atomic_path(images_out) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(
            f,
            network=saved["network"],
            layer=layer,
            consolidated=np.array(consolidated, dtype=str),
            lesion=np.array([c["lesion"] for c in lesions]),
            draw=np.array([c["draw"] for c in lesions]),
            fraction=np.array([c["fraction"] for c in lesions]),
            correct=correct,
            groups=np.array(list(groups)),
            member=member,
            labels=identities(pooled),
            margin=margin,
        )


def identities(pooled) -> np.ndarray:
    """Each image's class, counting a consolidated task's classes apart: what the bootstraps
    resample (a consolidated task's images would otherwise be one class, and its intervals
    would hold the images' sampling only)."""
    starts = np.cumsum([0] + [len(t.split.classes) for t in pooled.tasks])
    return np.concatenate([t.split.labels + start for t, start in zip(pooled.tasks, starts)])


def conditions(
    rankings: dict[str, list[int]], n_units: int, fractions, random_draws: int, seed: int
) -> list[dict]:
    """Every lesion to measure: none, the top p of each ranking, and random sets of equal size."""
    out = [{"lesion": "none", "draw": 0, "fraction": 0.0, "units": []}]
    for p in fractions:
        n = round(p * n_units)
        if n == 0:
            continue
        for name, order in rankings.items():
            if len(order) < n:
                raise FuncspecError(
                    f"ranking {name} has {len(order)} units, lesion fraction {p} "
                    f"needs {n}: rank a larger fraction or lower the lesion fractions"
                )
            out.append({"lesion": name, "draw": 0, "fraction": p, "units": list(order[:n])})
        for draw in range(random_draws):
            # Nested across fractions: a larger random lesion contains the smaller one.
            perm = streams.rng("random_lesion", seed, draw).permutation(n_units)
            out.append(
                {"lesion": "random", "draw": draw, "fraction": p, "units": perm[:n].tolist()}
            )
    return out


@torch.no_grad()
def evaluate_lesions(
    model,
    layer: str,
    test: Pooled,
    groups: dict[str, np.ndarray],
    lesions: list[dict],
    batch_size: int,
    device,
) -> list[dict]:
    """Top-1 accuracy (joint argmax) and loss of every group under every lesion: the table's
    rows, each image's correctness under each lesion [lesion, image], each image's groups
    [group, image], its class label (the bootstrap draws classes, then their images) and its
    unlesioned margin: the correct class's score less the best other class's (how confidently
    it is classified, which the performance matching equalises between tasks).

    The layers below the lesioned one are run once per batch and shared by all lesions.
    """
    # A class belongs to several groups at once (a task and a half of the random split).
    member = np.zeros((model.head.weight.shape[0], len(groups)))
    for k, labels in enumerate(groups.values()):
        member[labels, k] = 1.0
    sums = np.zeros((len(lesions), len(groups), 3))  # correct, loss sum, count
    per_image, labels, margins = [], [], []
    for x, y, _ in eval_batches(test, np.arange(len(test)), batch_size, model.input_size, device):
        base = model.below(x, layer)
        labels.append(y.cpu().numpy())
        in_group = member[labels[-1]]
        per_image.append(np.zeros((len(lesions), len(y)), dtype=bool))
        for i, lesion in enumerate(lesions):
            with ablated(model, layer, lesion["units"]):
                logits = model.above(model.through(base, layer), base, layer)
            if lesion["lesion"] == "none":
                margins.append(_margin(logits.float(), y).cpu().numpy())
            correct = (logits.argmax(1) == y).double().cpu().numpy()
            per_image[-1][i] = correct > 0
            loss = (
                nn.functional.cross_entropy(logits.float(), y, reduction="none")
                .double()
                .cpu()
                .numpy()
            )
            sums[i] += np.stack([in_group.T @ correct, in_group.T @ loss, in_group.sum(0)], axis=1)
    rows = []
    for i, lesion in enumerate(lesions):
        for k, group in enumerate(groups):
            correct, loss, count = sums[i, k]
            rows.append(
                {
                    "lesion": lesion["lesion"],
                    "draw": lesion["draw"],
                    "fraction": lesion["fraction"],
                    "n_lesioned": len(lesion["units"]),
                    "task": group,
                    "n_images": int(count),
                    "accuracy": correct / count,
                    "loss": loss / count,
                }
            )
    baseline = {r["task"]: r["accuracy"] for r in rows if r["lesion"] == "none"}
    for r in rows:
        base = baseline[r["task"]]
        r["accuracy_unlesioned"] = base
        r["drop"] = (base - r["accuracy"]) / base if base > 0 else float("nan")
    labels = np.concatenate(labels)
    images = (np.concatenate(per_image, axis=1), member[labels].T > 0, labels)
    return rows, *images, np.concatenate(margins)


def _margin(logits, y):
    """Each image's correct-class score less its best other class's score."""
    own = logits.gather(1, y[:, None])[:, 0]
    others = logits.scatter(1, y[:, None], float("-inf"))
    return own - others.max(1).values


INPUTS = ("model", "data", "relevance")


def add_arguments(p) -> None:
    arguments.network(p, "TASK=PREPARED_DIR of the network's tasks")
    arguments.gpu(p)
    p.add_argument("--layer", required=True)
    p.add_argument("--relevance", nargs="+", required=True, help="ranking JSONs of this layer")
    p.add_argument("--split-seed", type=int, help="seed of the random class split, if ranked")
    p.add_argument("--fractions", type=float, nargs="+", required=True)
    p.add_argument("--random-draws", type=int, required=True)
    p.add_argument("--out", required=True, help="lesion table CSV")
    p.add_argument(
        "--images", required=True, help="each image's correctness under each lesion (npz)"
    )


def main(args) -> list:
    lesion(
        args.model,
        arguments.task_dirs(args.data),
        args.layer,
        args.relevance,
        args.out,
        args.images,
        fractions=args.fractions,
        random_draws=args.random_draws,
        batch_size=args.batch_size,
        seed=args.seed,
        split_seed=args.split_seed,
        threads=args.threads,
        precision=Precision.of(args),
    )
    return [args.out, args.images]
