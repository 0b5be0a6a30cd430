"""Top-1 accuracy and its confidence interval, bootstrapped over classes and images (Fig. 1C)."""

from __future__ import annotations

import numpy as np
import torch

from . import arguments, streams
from .atomic import write_csv
from .data import Pooled, eval_batches
from .errors import FuncspecError
from .gpu import FLOAT32, Precision, autocast
from .train import load_network


def evaluate(
    model_path,
    data: dict,
    out,
    predictions_out,
    batch_size: int,
    bootstrap: int,
    seed: int,
    threads: int = 1,
    precision: Precision = FLOAT32,
) -> None:
    """The evaluate step: each task's top-1 accuracy with its CI, and every test prediction."""
    model, saved, pooled, device = load_network(model_path, data, "test", threads, precision)
    with autocast(device, precision):
        predicted = predictions(model, pooled, batch_size, device)
    rows = []
    for t, task in enumerate(pooled.tasks):
        mine = pooled.task_of == t
        rows.append(
            accuracy_table(
                saved["network"],
                task.task,
                predicted[mine],
                pooled.labels[mine],
                saved["num_classes"],
                bootstrap,
                seed,
            )
        )
    write_csv(out, rows)
    write_csv(
        predictions_out,
        [
            {"task": pooled.tasks[t].task, "index": i, "label": int(y), "predicted": int(p)}
            for i, (t, y, p) in enumerate(zip(pooled.task_of, pooled.labels, predicted))
        ],
    )


@torch.no_grad()
def predictions(model, pooled: Pooled, batch_size: int, device) -> np.ndarray:
    """Joint argmax over every class the network knows: calling a face an object is an error."""
    batches = eval_batches(pooled, np.arange(len(pooled)), batch_size, model.input_size, device)
    return np.concatenate([model(x).argmax(1).cpu().numpy() for x, _, _ in batches])


def top1(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of images whose predicted class equals the true class."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.shape != labels.shape or labels.ndim != 1 or labels.size == 0:
        raise FuncspecError(
            f"predicted and labels must be equal, non-empty 1-D arrays, "
            f"got shapes {predicted.shape} and {labels.shape}"
        )
    return float(np.mean(predicted == labels))


def bootstrap_ci(
    correct: np.ndarray, labels: np.ndarray, n_boot: int = 1000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of mean correctness under a two-level bootstrap.

    Each replicate draws the classes with replacement and then, within every drawn class,
    as many images as it has, with replacement. Only a class's correct count matters to the
    statistic, so the image level is one binomial draw per drawn class: this is the same
    distribution as resampling images and keeps 1714 classes x 1000 replicates to a few
    array operations.
    """
    correct, labels = np.asarray(correct, dtype=bool), np.asarray(labels)
    if correct.shape != labels.shape or labels.ndim != 1 or labels.size == 0:
        raise FuncspecError(
            f"correct and labels must be equal, non-empty 1-D arrays, "
            f"got shapes {correct.shape} and {labels.shape}"
        )
    if n_boot < 1 or not 0 < level < 1:
        raise FuncspecError(
            f"need n_boot >= 1 and 0 < level < 1, got n_boot={n_boot}, level={level}"
        )
    _, cls = np.unique(labels, return_inverse=True)
    n_images = np.bincount(cls)
    n_correct = np.bincount(cls, weights=correct).astype(np.int64)
    rng = streams.rng("bootstrap", seed)
    drawn = rng.integers(0, n_images.size, size=(n_boot, n_images.size))
    hits = rng.binomial(n_images[drawn], n_correct[drawn] / n_images[drawn])
    stats = hits.sum(axis=1) / n_images[drawn].sum(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(stats, [tail, 1 - tail])
    return float(low), float(high)


def accuracy_table(
    network: str,
    task: str,
    predicted: np.ndarray,
    labels: np.ndarray,
    n_outputs: int,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict:
    """One row of the accuracy table: top-1 with its 95% CI and the network's chance level.

    Chance is 1 / n_outputs, the number of classes the network chooses among (all 2137 for
    the dual net), not the number of classes present in the test set.
    """
    if n_outputs < 1:
        raise FuncspecError(f"n_outputs must be >= 1, got {n_outputs}")
    accuracy = top1(predicted, labels)
    labels = np.asarray(labels)
    ci_low, ci_high = bootstrap_ci(
        np.asarray(predicted) == labels, labels, n_boot=n_boot, seed=seed
    )
    return {
        "network": network,
        "task": task,
        "n_images": int(labels.size),
        "n_classes": int(np.unique(labels).size),
        "accuracy": accuracy,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "chance": 1.0 / n_outputs,
    }


INPUTS = ("model", "data")


def add_arguments(p) -> None:
    arguments.network(p)
    arguments.gpu(p)
    p.add_argument("--bootstrap", type=int, required=True, help="bootstrap resamples")
    p.add_argument("--out", required=True, help="accuracy table CSV")
    p.add_argument("--predictions", required=True, help="predictions CSV")


def main(args) -> list:
    evaluate(
        args.model,
        arguments.task_dirs(args.data),
        args.out,
        args.predictions,
        args.batch_size,
        args.bootstrap,
        args.seed,
        args.threads,
        Precision.of(args),
    )
    return [args.out, args.predictions]
