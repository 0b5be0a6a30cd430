"""Lesions: zero the top-ranked units of one layer and measure every task (see tasks.py); the
readers of the lesion tables, for the figures and metrics that draw on them."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import streams
from .ablation import ablated
from .atomic import atomic_path, write_csv
from .data import Pooled, eval_batches
from .errors import FuncspecError
from .gpu import FLOAT32, Precision, autocast
from .tasks import is_split, split_pairs, task_groups
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
    n_units = model.unit_layer(layer).weight.shape[0]
    lesions = conditions(rankings, n_units, fractions, random_draws, seed)
    groups = task_groups(saved, split_seed, rankings)
    with autocast(device, precision):
        rows, correct, member, labels, margin = evaluate_lesions(
            model, layer, pooled, groups, lesions, batch_size, device
        )
    write_csv(
        out, [{"network": saved["network"], "layer": layer, "n_units": n_units, **r} for r in rows]
    )
    with atomic_path(images_out) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(
            f,
            network=saved["network"],
            layer=layer,
            lesion=np.array([c["lesion"] for c in lesions]),
            draw=np.array([c["draw"] for c in lesions]),
            fraction=np.array([c["fraction"] for c in lesions]),
            correct=correct,
            groups=np.array(list(groups)),
            member=member,
            labels=labels,
            margin=margin,
        )


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
    names = model.layer_names
    below = names[names.index(layer) - 1] if names.index(layer) else None
    # A class belongs to several groups at once (a task and a half of the random split).
    member = np.zeros((model.unit_layer(names[-1]).out_features, len(groups)))
    for k, labels in enumerate(groups.values()):
        member[labels, k] = 1.0
    sums = np.zeros((len(lesions), len(groups), 3))  # correct, loss sum, count
    per_image, labels, margins = [], [], []
    for x, y, _ in eval_batches(test, np.arange(len(test)), batch_size, model.input_size, device):
        base = model(x, stop=below) if below else x
        labels.append(y.cpu().numpy())
        in_group = member[labels[-1]]
        per_image.append(np.zeros((len(lesions), len(y)), dtype=bool))
        for i, lesion in enumerate(lesions):
            with ablated(model, layer, lesion["units"]):
                logits = model(base, start=layer)
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


def segregation(rows: list[dict], task_a: str, task_b: str, fraction: float) -> dict:
    """How specific the two tasks' units are, at one lesion fraction.

    index: mean of (a's drop after an a-lesion minus a's drop after a b-lesion) and the same for b;
    0 when the two lesions hurt each task alike, 1 for a complete double dissociation.
    ratio: mean over the tasks of (own - other) / (own + other), scale-free, so it does not
    saturate when every lesion of a small net drives accuracy near chance.
    """
    drop = {
        (r["lesion"], r["task"]): r["drop"]
        for r in rows
        if r["draw"] == 0 and np.isclose(r["fraction"], fraction)
    }
    return dissociation(drop, task_a, task_b)


def split_segregation(rows: list[dict], fraction: float) -> dict:
    """segregation() of a seed's random class splits, averaged over its partitions."""
    pairs = split_pairs(dict.fromkeys(r["lesion"] for r in rows))
    each = [segregation(rows, *pair, fraction) for pair in pairs]
    return {key: float(np.mean([s[key] for s in each])) for key in ("index", "ratio")}


def dissociation(drop: dict, task_a: str, task_b: str) -> dict:
    """The segregation index and ratio from {(lesion, task): proportional drop}."""
    own_a, other_a = drop[(task_a, task_a)], drop[(task_b, task_a)]
    own_b, other_b = drop[(task_b, task_b)], drop[(task_a, task_b)]

    def ratio(own, other):
        return (own - other) / (own + other) if own + other > 0 else 0.0

    return {
        "index": ((own_a - other_a) + (own_b - other_b)) / 2,
        "ratio": (ratio(own_a, other_a) + ratio(own_b, other_b)) / 2,
    }


def read_tables(paths) -> dict[str, dict[str, list[dict]]]:
    """{network: {layer: rows}} from lesion tables, numbers parsed."""
    out = defaultdict(dict)
    for path in paths:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            for key in ("fraction", "accuracy", "loss", "drop", "accuracy_unlesioned"):
                r[key] = float(r[key])
            r["draw"] = int(r["draw"])
        out[rows[0]["network"]][rows[0]["layer"]] = rows
    return out


def has_splits(layers: dict) -> bool:
    """Whether the network's random class splits were ranked and lesioned."""
    return any(is_split(r["lesion"]) for rows in layers.values() for r in rows)


def ranked_tasks(layers: dict) -> tuple:
    """The real tasks a network was lesioned by (its own rankings), in table order."""
    seen = dict.fromkeys(r["lesion"] for rows in layers.values() for r in rows)
    return tuple(t for t in seen if t not in ("none", "random") and not is_split(t))
