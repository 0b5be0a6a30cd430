"""Held-out linear decoding: how well a layer's features separate classes the network never
saw (Fig. 1B)."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import arguments, streams
from .atomic import write_csv
from .data import Pooled, eval_batches, open_tasks
from .errors import FuncspecError
from .gpu import pick_device
from .train import load_model


def decode(
    model_path, data: dict, out, batch_size: int, folds: int, seed: int, threads: int = 1
) -> None:
    """The decode step: for each dataset, its held-out classes decoded from the network's
    penultimate layer."""
    torch.set_num_threads(threads)
    device = pick_device()
    model, saved = load_model(model_path, device)
    rows = []
    for task, folder in data.items():
        pooled = Pooled(open_tasks({task: folder}, "heldout"))
        features = activations(model, pooled, model.penultimate, batch_size, device)
        result = cross_validated(features, pooled.labels, folds=folds, seed=seed)
        rows.append(
            {
                "network": saved["network"],
                "task": task,
                "layer": model.penultimate,
                **{
                    k: result[k]
                    for k in ("accuracy", "sem", "chance", "folds", "n_images", "n_classes")
                },
            }
        )
    write_csv(out, rows)


@torch.no_grad()
def activations(model, pooled: Pooled, layer: str, batch_size: int, device) -> np.ndarray:
    """Output of `layer` (post-ReLU), flattened to (images, features)."""
    batches = eval_batches(pooled, np.arange(len(pooled)), batch_size, model.input_size, device)
    return np.concatenate([model(x, stop=layer).flatten(1).cpu().numpy() for x, _, _ in batches])


def cross_validated(
    features: np.ndarray, labels: np.ndarray, folds: int = 5, seed: int = 0, max_iter: int = 1000
) -> dict:
    """Cross-validated accuracy of a logistic-regression readout of `features` (N, D) for
    `labels` (N,).

    The scaler sits inside the pipeline so each fold standardises with its training part
    only; scaling on all images would leak the test images' statistics into the readout.
    """
    features, labels = np.asarray(features, dtype=np.float64), np.asarray(labels)
    if features.ndim != 2 or labels.ndim != 1 or features.shape[0] != labels.shape[0]:
        raise FuncspecError(
            f"need features (N, D) and labels (N,), got {features.shape} and {labels.shape}"
        )
    if folds < 2:
        raise FuncspecError(f"folds must be >= 2, got {folds}")
    classes, counts = np.unique(labels, return_counts=True)
    if classes.size < 2:
        raise FuncspecError(f"decoding needs at least 2 classes, got {classes.size}")
    small = {str(c): int(n) for c, n in zip(classes, counts) if n < folds}
    if small:
        raise FuncspecError(f"every class needs at least folds={folds} images; too few in {small}")

    splitter = StratifiedKFold(
        n_splits=folds, shuffle=True, random_state=streams.seed_of("decode_folds", seed)
    )
    fold_accuracies = []
    for train, test in splitter.split(features, labels):
        readout = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
        readout.fit(features[train], labels[train])
        fold_accuracies.append(float(readout.score(features[test], labels[test])))
    return {
        "accuracy": float(np.mean(fold_accuracies)),
        "sem": float(np.std(fold_accuracies, ddof=1) / np.sqrt(folds)),
        "fold_accuracies": fold_accuracies,
        "chance": 1.0 / classes.size,
        "folds": folds,
        "n_images": int(labels.size),
        "n_classes": int(classes.size),
    }


INPUTS = ("model", "data")


def add_arguments(p) -> None:
    arguments.network(p)
    p.add_argument("--folds", type=int, required=True)
    p.add_argument("--out", required=True, help="decoding table CSV")


def main(args) -> list:
    decode(
        args.model,
        arguments.task_dirs(args.data),
        args.out,
        args.batch_size,
        args.folds,
        args.seed,
        args.threads,
    )
    return [args.out]
